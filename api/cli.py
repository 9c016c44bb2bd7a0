"""The `regapi` command.

serve             run the GraphQL API (settings from REGAPI_* variables)
policy check      validate every policy file of a directory; --against-pool also compares each policy
                  with the pool and app client it names
policy explain    print the decision a request would get
policy diff       list what changing one policy file into another does; --against-pool also lists the
                  users of the pool it affects
policy schema     print the JSON Schema of policy files
cognito serve     serve the embedded Cognito as a Cognito-compatible endpoint
export-schema     print the GraphQL SDL
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from pathlib import Path

from api.cognito.pool_config import against_pool
from api.events.admission import WebhookAdmission
from api.observability.logging import configure as configure_logging
from api.policy import PolicyError, PolicyLoadError, TenantPolicy, load_directory, load_policy
from api.policy.checks import Problem
from api.policy.loader import located, policy_files
from api.policy.store import PolicyStore
from api.settings import Settings, SettingsError


def _unreadable(path: Path, *, directory: bool) -> str | None:
    """One line for a path the command cannot read, or None: every command answers so, with status 2."""
    kind = "directory" if directory else "file"
    if not path.exists():
        return f"regapi: no such {kind}: {path}"
    if directory != path.is_dir():
        return f"regapi: {path} is not a {kind}"
    try:
        if directory:
            next(path.iterdir(), None)
        else:
            with path.open("rb"):
                pass
    except OSError as exc:
        return f"regapi: cannot read {path}: {exc.strerror or exc}"
    return None


def _refuse_unreadable(*paths: tuple[Path, bool]) -> bool:
    """Print the line for the first path that cannot be read; whether there was one."""
    for path, directory in paths:
        if (problem := _unreadable(path, directory=directory)) is not None:
            print(problem, file=sys.stderr)
            return True
    return False


def _serve(args: argparse.Namespace) -> int:
    from api import startup  # noqa: PLC0415 - only the server needs uvicorn
    from api.app import create_app  # noqa: PLC0415

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"regapi: {exc}", file=sys.stderr)
        return 2
    if args.policies:
        settings = replace(settings, policy_dir=Path(args.policies))
    if _refuse_unreadable((settings.policy_dir, True)):
        return 2
    return startup.serve(settings, create_app, _worker_app)


def _worker_app() -> object:
    """A worker process's app (REGAPI_WORKERS > 1); here, where create_app may be imported, and at module
    level, so that the supervisor can name it to the processes it spawns."""
    from api import startup  # noqa: PLC0415
    from api.app import create_app  # noqa: PLC0415

    return startup.worker_app(create_app)


def _pool_problems(tenants: dict[str, TenantPolicy], settings: Settings) -> list[PolicyError]:
    """Each policy compared with the pool and app client it names, on the aws backend's endpoint."""
    from api import backends  # noqa: PLC0415 - boto3 loads only for --against-pool
    from api.cognito.port import ProviderError  # noqa: PLC0415

    backend = backends.aws(settings)
    errors: list[PolicyError] = []
    for tenant in tenants.values():
        cognito = tenant.policy.cognito
        if not cognito.user_pool_id or not cognito.client_id:
            fix = "add the ids of the pool and app client this tenant uses"
            errors += located(tenant.path, [Problem(("cognito",), "no user_pool_id or client_id to compare with", fix)])
            continue
        try:
            pool, app = backend.describe_pool(cognito.user_pool_id, cognito.client_id)
        except ProviderError as exc:
            fix = "check the ids, the endpoint and the credentials"
            errors += located(tenant.path, [Problem(("cognito",), f"cannot describe the pool ({exc.code})", fix)])
            continue
        errors += located(tenant.path, against_pool(tenant.policy, pool, app))
    return errors


def _check(args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    if _refuse_unreadable((directory, True)):
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"regapi: {exc}", file=sys.stderr)
        return 2
    try:
        store = PolicyStore.admitting(load_directory(directory))  # the tenants as the server would serve them
        # Webhook secrets and URLs, with this environment and REGAPI_ENV, as `regapi serve` would check them.
        WebhookAdmission(os.environ, production=settings.production).admit(store)
        tenants, errors = dict(store), [e for errors in store.errors.values() for e in errors]
        if args.against_pool:
            errors += _pool_problems(tenants, settings)
    except PolicyLoadError as exc:
        tenants, errors = {}, exc.errors
    if args.format == "json":
        print(
            json.dumps(
                {"ok": not errors, "tenants": sorted(tenants), "errors": [asdict(e) for e in errors]},
                indent=2,
                default=str,
            )
        )
        return 1 if errors else 0
    if errors:
        print("\n".join(str(e) for e in errors), file=sys.stderr)
        count = len(errors)
        print(f"\n{count} problem{'s' if count != 1 else ''} in {directory}", file=sys.stderr)
        return 1
    for name, tenant in sorted(tenants.items()):
        print(f"ok  {name:<20} {tenant.path}  revision {tenant.revision}")
    return 0


def _cognito_serve(args: argparse.Namespace) -> int:
    from api.cognito.embedded.server import serve  # noqa: PLC0415 - moto loads only for this command

    try:
        log_format = Settings.from_env().log_format  # its lines, the outbox's included, as regapi serve's
    except SettingsError as exc:
        print(f"regapi: {exc}", file=sys.stderr)
        return 2
    configure_logging(logging.WARNING, log_format=log_format)
    serve(args.host, args.port, manual_clock=args.manual_clock)
    return 0


def _explain(args: argparse.Namespace) -> int:
    from api.policy import Operation  # noqa: PLC0415
    from api.registration import Explain, explain  # noqa: PLC0415

    if _refuse_unreadable((Path(args.policies), True)):
        return 2
    try:
        tenants = load_directory(Path(args.policies))
    except PolicyLoadError as exc:
        print(exc, file=sys.stderr)
        return 2
    policy = tenants.get(args.tenant)
    if policy is None:
        print(f"regapi: no tenant {args.tenant!r} in {args.policies}", file=sys.stderr)
        return 2
    pairs = []
    for item in args.attribute:
        name, sep, value = item.partition("=")
        if not sep:
            print(f"regapi: --attribute takes NAME=VALUE, not {item!r}", file=sys.stderr)
            return 2
        pairs.append((name, value))
    request = Explain(
        tenant=args.tenant,
        operation=Operation(args.operation),
        attributes=tuple(pairs),
        username=args.username,
        password=args.password,
        existing_attributes=tuple(args.existing),
    )
    decision = explain(policy, request)
    print(json.dumps(decision.to_json(), indent=2))
    return 0 if decision.allowed else 1


def _diff(args: argparse.Namespace) -> int:
    from api.policy.diff import diff, newly_required  # noqa: PLC0415

    if _refuse_unreadable((Path(args.old), False), (Path(args.new), False)):
        return 2
    try:
        old, new = load_policy(Path(args.old)), load_policy(Path(args.new))
    except PolicyLoadError as exc:
        print(exc, file=sys.stderr)
        return 2
    changes = diff(old.policy, new.policy)
    report: dict[str, object] = {
        "old": {"file": str(old.path), "revision": old.revision},
        "new": {"file": str(new.path), "revision": new.revision},
        "changes": [
            {"path": c.path, "kind": c.kind, "before": c.before, "after": c.after, "note": c.note} for c in changes
        ],
    }
    affected = (
        _affected_users(new, old, newly_required(old.policy, new.policy), Settings.from_env())
        if args.against_pool
        else {}
    )
    if args.against_pool:
        report["affected"] = affected
    if args.format == "json":
        print(json.dumps(report, indent=2, default=str))
        return 0
    print(f"{old.path} ({old.revision}) -> {new.path} ({new.revision}): {len(changes)} change(s)")
    for change in changes:
        print(f"  {change.kind:<8} {change.path}: {change.before!r} -> {change.after!r}")
        if change.note:
            print(f"           {change.note}")
    for group, users in affected.items():
        print(f"  affected: {group}: {len(users)}")
        for user in users:
            print(f"    {user}")
    return 0


def _affected_users(
    new: TenantPolicy, old: TenantPolicy, required: dict[str, list[str]], settings: Settings
) -> Mapping[str, list[str]]:
    """The users of the tenant's pool the change touches (`api.registration.invitations` decides which);
    the old file is the one being served, so its directory tells whether the pool is shared."""
    import asyncio  # noqa: PLC0415

    from api import backends  # noqa: PLC0415 - boto3 loads only for --against-pool
    from api.cognito.port import PoolBinding  # noqa: PLC0415
    from api.registration.invitations import affected_users  # noqa: PLC0415

    cognito = new.policy.cognito
    if not cognito.user_pool_id or not cognito.client_id:
        raise SystemExit("regapi: --against-pool needs cognito.user_pool_id and cognito.client_id in the new policy")
    adapter = backends.aws(settings).provider
    pool = PoolBinding(cognito.user_pool, cognito.user_pool_id, cognito.client_id)
    users = asyncio.run(adapter.list_users(pool))
    return affected_users(new.tenant, old.policy, new.policy, required, users, shared=_shares_pool(old))


def _shares_pool(served: TenantPolicy) -> bool:
    """Whether another tenant of the served file's directory names the same pool, as the server that
    loads that directory would find (a file that does not load names no pool)."""
    pool = served.policy.cognito.user_pool
    for path in policy_files(served.path.parent):
        if path.stem == served.tenant:
            continue
        try:
            other = load_policy(path)
        except PolicyLoadError:
            continue
        if other.policy.cognito.user_pool == pool:
            return True
    return False


def _policy_schema(_: argparse.Namespace) -> int:
    from api.policy.model import policy_json_schema  # noqa: PLC0415

    sys.stdout.write(json.dumps(policy_json_schema(), indent=2) + "\n")
    return 0


def _export_schema(_: argparse.Namespace) -> int:
    from strawberry.printer import print_schema  # noqa: PLC0415

    from api.schema import build_schema  # noqa: PLC0415

    sys.stdout.write(print_schema(build_schema()) + "\n")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="regapi", description="Per-tenant registration policy in front of Cognito.")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the GraphQL API (settings from REGAPI_* variables)")
    serve.add_argument("--policies", help="policy directory (default: REGAPI_POLICY_DIR or policies/)")
    serve.set_defaults(run=_serve)

    policy = commands.add_parser("policy", help="work with policy files").add_subparsers(dest="policy", required=True)
    check = policy.add_parser("check", help="validate every policy file of a directory")
    check.add_argument("directory", nargs="?", default="policies")
    check.add_argument(
        "--against-pool",
        action="store_true",
        help="also compare each policy with the pool and client it names (REGAPI_COGNITO_ENDPOINT, AWS credentials)",
    )
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.set_defaults(run=_check)
    explain = policy.add_parser("explain", help="print the decision a request would get, as JSON (exit 1: denied)")
    explain.add_argument("--policies", default="policies", help="policy directory (default: policies)")
    explain.add_argument("--tenant", required=True)
    explain.add_argument("--operation", required=True, choices=["sign_up", "invite", "first_sign_in"])
    explain.add_argument("--attribute", action="append", default=[], metavar="NAME=VALUE")
    explain.add_argument("--username")
    explain.add_argument("--password")
    explain.add_argument(
        "--existing", action="append", default=[], metavar="NAME", help="first_sign_in: an attribute the user has"
    )
    explain.set_defaults(run=_explain)
    changes = policy.add_parser("diff", help="list what changing one policy file into another does")
    changes.add_argument("old")
    changes.add_argument("new")
    changes.add_argument(
        "--against-pool", action="store_true", help="also list the users of the new policy's pool the change affects"
    )
    changes.add_argument("--format", choices=["text", "json"], default="text")
    changes.set_defaults(run=_diff)
    schema = policy.add_parser("schema", help="print the JSON Schema of policy files")
    schema.set_defaults(run=_policy_schema)

    cognito = commands.add_parser("cognito", help="the embedded Cognito").add_subparsers(dest="cognito", required=True)
    standalone = cognito.add_parser("serve", help="serve the embedded Cognito as a Cognito-compatible endpoint")
    standalone.add_argument("--host", default="127.0.0.1")
    standalone.add_argument("--port", type=int, default=9229)
    standalone.add_argument(
        "--manual-clock", action="store_true", help="a clock that only moves on POST /clock?advance=SECONDS (tests)"
    )
    standalone.set_defaults(run=_cognito_serve)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.set_defaults(run=_export_schema)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
