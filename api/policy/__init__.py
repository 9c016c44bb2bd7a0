"""Tenant policies: the typed model, the YAML loader and the pure decision engine."""

from api.policy.decision import Decision, Violation, ViolationCode
from api.policy.engine import evaluate
from api.policy.loader import PolicyError, PolicyLoadError, load_directory, load_policy
from api.policy.model import Operation, PasswordOperation, Policy, TenantPolicy
from api.policy.username import is_valid_username, normalize_username

__all__ = [
    "Decision",
    "Operation",
    "PasswordOperation",
    "Policy",
    "PolicyError",
    "PolicyLoadError",
    "TenantPolicy",
    "Violation",
    "ViolationCode",
    "evaluate",
    "is_valid_username",
    "load_directory",
    "load_policy",
    "normalize_username",
]
