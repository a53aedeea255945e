"""Cost and resources, computed from what was recorded: a run's CPU and wall-clock time at the training rates, a
day's predictions and serving hours at the serving rates, the month's forecast, and budgets against both.

Pure functions over numbers and dates; ``mlsteward.lifecycle.costs`` reads the store and calls them.
"""

from mlsteward.costs.budgets import BudgetStatus, budget_status
from mlsteward.costs.forecast import MonthForecast, month_forecast
from mlsteward.costs.ledger import DayCost, RunCost, daily_inference_costs, run_cost_usd

__all__ = ["BudgetStatus", "DayCost", "MonthForecast", "RunCost", "budget_status", "daily_inference_costs",
           "month_forecast", "run_cost_usd"]
