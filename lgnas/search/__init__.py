"""The search loop, its journal, evaluators and executors."""
