"""Every access to moto's private internals: the one file to re-check when the moto pin moves.

The fidelity layer (pools, sign_up, invitations, authentication, users) replaces moto's cognito-idp
handlers with Cognito's behaviour, and needs moto's state to do it. Whatever it touches of moto that
is not public API goes through the small typed functions and names of this module; no other module of
api/cognito/embedded imports moto, apart from `mock_aws` (moto's public entry point) in `__init__`.
Checked against moto 5.2.5. When the pin moves, re-read these in moto's source:

- `moto.cognitoidp.responses.CognitoIdpResponse`: `_get_param`, `parameters` (parses the body afresh
  on every read), `backend`, `current_account`, `region`, and the handler methods `install` replaces
  or wraps (their names are the keys of the tables in `api.cognito.embedded.handlers`);
- `moto.cognitoidp.models.RegionAgnosticBackend`: `_find_backend_for_clientid`,
  `_find_backend_by_access_token`;
- `CognitoIdpBackend`: `_validate_password` (replaced), `user_pools`, `sessions`;
- `CognitoIdpUserPool`: `_get_user` (replaced by `find_user`), `create_id_token` (replaced),
  `create_jwt`, `users`, `access_tokens`, `id_tokens`;
- `CognitoIdpUser.password` (moto keeps it in clear);
- `CognitoIdpUserPoolAttribute(name, custom, schema)` and its `STANDARD_SCHEMA`;
- the result and error classes of `moto.core.responses` (`ActionResult`, `EmptyResult`),
  `moto.core.exceptions` (`JsonRESTError`) and `moto.cognitoidp.exceptions`, re-exported here;
- `moto.utilities.utils.load_resource` and the key set moto signs with
  (`cognitoidp/resources/jwks-public.json`);
- moto's server, `moto.moto_server.werkzeug_app` (`DomainDispatcherApplication`, `create_backend_app`,
  `MotoRequestHandler`), imported only when `regapi cognito serve` runs.

Not private, and so left to the area modules (typed by the aliases below): the backend's operation
methods, named as Cognito's operations (`sign_up`, `admin_get_user`, `initiate_auth`, ...), the
models' `to_json`, `update_attributes` and `update_extended_config`, and the fields that mirror
Cognito's resources (`status`, `enabled`, `attribute_lookup`, `groups`, `create_date`,
`last_modified_date`, `extended_config`, `clients`, `schema_attributes`). A test
(tests/test_architecture.py) keeps every other module of the package from importing moto.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedError,
    ResourceNotFoundError,
    UsernameExistsException,
    UserNotFoundError,
)
from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolAttribute,
    RegionAgnosticBackend,
    UserStatus,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.utilities.utils import load_resource

Response = CognitoIdpResponse
Backend = CognitoIdpBackend
Pool = CognitoIdpUserPool
User = CognitoIdpUser
PoolAttribute = CognitoIdpUserPoolAttribute
Handler = Callable[[CognitoIdpResponse], ActionResult]
Wrapper = Callable[[Handler], Handler]
IdTokenFactory = Callable[[CognitoIdpUserPool, str, str, str], tuple[str, int]]
PasswordCheck = Callable[[CognitoIdpUserPool, str], None]

__all__ = [
    "ActionResult",
    "Backend",
    "CodeMismatchException",
    "EmptyResult",
    "ExpiredCodeException",
    "Handler",
    "InvalidParameterException",
    "JsonRESTError",
    "NotAuthorizedError",
    "Pool",
    "PoolAttribute",
    "Response",
    "User",
    "UserNotFoundError",
    "UserStatus",
    "UsernameExistsException",
    "Wrapper",
]


# ---------------------------------------------------------------- the request


def param(response: CognitoIdpResponse, name: str, default: Any = None) -> Any:
    """One request parameter, or `default` when the request does not name it."""
    return response._get_param(name, default)


def parameters(response: CognitoIdpResponse) -> dict[str, Any]:
    """All request parameters: a fresh dict on every call (moto parses the body each time)."""
    params: dict[str, Any] = response.parameters
    return params


def backend_of(response: CognitoIdpResponse) -> CognitoIdpBackend:
    """The backend of the request's account and region."""
    return response.backend


def pool_for_client(response: CognitoIdpResponse, client_id: str) -> tuple[CognitoIdpBackend, CognitoIdpUserPool]:
    """The backend and pool an app client belongs to, in any region (public calls name no pool)."""
    backend = RegionAgnosticBackend(response.current_account, response.region)._find_backend_for_clientid(client_id)
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return backend, pool
    raise ResourceNotFoundError(client_id)


def backend_for_access_token(response: CognitoIdpResponse, token: str) -> CognitoIdpBackend:
    """The backend that issued an access token, in any region (the request's own when none did)."""
    return RegionAgnosticBackend(response.current_account, response.region)._find_backend_by_access_token(token)


# ---------------------------------------------------------------- moto's bookkeeping


def pools(backend: CognitoIdpBackend) -> Iterable[CognitoIdpUserPool]:
    return backend.user_pools.values()


def knows_access_token(pool: CognitoIdpUserPool, token: str) -> bool:
    return token in pool.access_tokens


def access_token_client(pool: CognitoIdpUserPool, token: str) -> str:
    """The app client an access token of this pool was issued to (KeyError for a foreign token)."""
    client_id: str = pool.access_tokens[token][0]
    return client_id


def knows_session(backend: CognitoIdpBackend, session: str) -> bool:
    """Whether moto issued this challenge session and has not completed it."""
    return session in backend.sessions


def sign_id_token(
    pool: CognitoIdpUserPool, client_id: str, username: str, claims: Mapping[str, Any]
) -> tuple[str, int]:
    """An ID token with these claims, signed and remembered as moto's own `create_id_token` does."""
    token, expires_in = pool.create_jwt(client_id, username, "id", extra_data=dict(claims))
    pool.id_tokens[token] = (client_id, username)
    return token, expires_in


def has_password(user: CognitoIdpUser, password: str | None) -> bool:
    return bool(user.password == password)


def set_password(user: CognitoIdpUser, password: str) -> None:
    user.password = password


def add_standard_attributes(pool: CognitoIdpUserPool) -> None:
    """Cognito lists every standard attribute in a pool's schema, even when CreateUserPool named only some."""
    for name, schema in CognitoIdpUserPoolAttribute.STANDARD_SCHEMA.items():
        if name not in pool.schema_attributes:
            pool.schema_attributes[name] = CognitoIdpUserPoolAttribute(name, False, schema)


def signing_keys() -> Mapping[str, Any]:
    """The public key set moto signs every token with (one key pair it ships)."""
    keys: Mapping[str, Any] = load_resource("cognitoidp/resources/jwks-public.json")
    return keys


def cognito_wsgi_app() -> Any:
    """moto's own server application, dispatching to its backends by the request's service."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: PLC0415 - server only

    return DomainDispatcherApplication(create_backend_app)


def request_handler() -> Any:
    """The werkzeug request handler moto's server needs."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler  # noqa: PLC0415 - server only

    return MotoRequestHandler


# ---------------------------------------------------------------- users: indexed, and looked up by index


_moto_get_user = CognitoIdpUserPool._get_user
_moto_list_users = CognitoIdpBackend.list_users.__wrapped__  # moto's filtering, without its pagination
_FILTER = re.compile(r"([\w:]+)\s*(=|\^=)\s*\"(.*)\"")  # moto's ListUsers filter syntax
_REFILE = "_regapi_refile"
_scanning = False


def _link(user: CognitoIdpUser, refile: Callable[[], None] | None) -> None:
    if refile is None:
        user.__dict__.pop(_REFILE, None)
    else:
        user.__dict__[_REFILE] = refile


def users_of(pool: CognitoIdpUserPool) -> UserIndex[CognitoIdpUser]:
    """The pool's users, indexed (`install` makes moto's `users` dict of every pool one)."""
    users = pool.__dict__.get("users")
    if not isinstance(users, UserIndex):
        users = pool.__dict__["users"] = UserIndex(_link, dict(users or {}).items())
    return users


def _set_users(pool: CognitoIdpUserPool, users: Mapping[str, CognitoIdpUser]) -> None:
    pool.__dict__["users"] = users if isinstance(users, UserIndex) else UserIndex(_link, dict(users).items())


def _attributes(user: CognitoIdpUser) -> list[dict[str, Any]]:
    attributes: list[dict[str, Any]] = user.__dict__["attributes"]
    return attributes


def _set_attributes(user: CognitoIdpUser, attributes: list[dict[str, Any]]) -> None:
    """moto replaces a user's attribute list on every change (never edits it in place): refile then."""
    user.__dict__["attributes"] = attributes
    if (refile := user.__dict__.get(_REFILE)) is not None:
        refile()


def _case_insensitive(pool: CognitoIdpUserPool) -> bool:
    return pool.extended_config.get("UsernameConfiguration", {}).get("CaseSensitive") is False


def find_user(pool: CognitoIdpUserPool, username: str) -> CognitoIdpUser | None:
    """moto's lookup (a username attribute's value, else the username), plus Cognito's case-insensitive
    usernames (UsernameConfiguration.CaseSensitive=False), from the index: the user the scans of
    `find_user_by_scan` find. `install` puts it in place of moto's `_get_user`, so that moto's own
    handlers find users the same way."""
    if _scanning or not isinstance(username, str):
        return find_user_by_scan(pool, username)
    users = users_of(pool)
    kinds = pool.extended_config.get("UsernameAttributes") or []
    user = users.first_with((kind, username) for kind in kinds) or users.get(username)
    if user is not None or not username or not _case_insensitive(pool):
        return user
    return users.first_folded(username.casefold(), email="email" in kinds)


def find_user_by_scan(pool: CognitoIdpUserPool, username: str) -> CognitoIdpUser | None:
    """The same lookup by scanning every user, as before the index: the reference the index is tested
    against, and bench/embedded_signups.py's baseline."""
    user: CognitoIdpUser | None = _moto_get_user(pool, username)
    if user is not None or not username or not _case_insensitive(pool):
        return user
    folded = username.casefold()
    email_username = "email" in pool.extended_config.get("UsernameAttributes", [])
    for candidate in pool.users.values():
        if candidate.username.casefold() == folded:
            return candidate
        if email_username and candidate.attribute_lookup.get("email", "").casefold() == folded:
            return candidate
    return None


def look_up_by_scan(enabled: bool) -> None:
    """Make `find_user` scan, as before the index (bench/embedded_signups.py's baseline only)."""
    global _scanning  # noqa: PLW0603 - a process-wide switch for the benchmark
    _scanning = enabled


def _verify_email_is_not_used(backend: CognitoIdpBackend, user_pool_id: str, email: str | None) -> None:
    """Replaces moto's scan: in a pool whose usernames are e-mail addresses, an address is one user's."""
    if not email:
        return
    pool = backend.describe_user_pool(user_pool_id)
    if "email" in pool.extended_config.get("UsernameAttributes", []) and users_of(pool).first_with([("email", email)]):
        raise AliasExistsException


def _list_users(
    backend: CognitoIdpBackend, user_pool_id: str, filt: str, limit: int | None = None, pagination_token: Any = None
) -> tuple[list[CognitoIdpUser], str | None]:
    """moto's ListUsers (its filters, order, pages and tokens) from the index: a page costs its own
    length, and an exact filter on username, email, phone_number or sub costs its matches."""
    # As moto's @paginate builds it, and before the pool is looked up, as there.
    paginator = Paginator(max_results=limit, max_results_default=60, starting_token=pagination_token,
                          unique_attribute="id", param_values_to_check={})
    pool = backend.describe_user_pool(user_pool_id)
    users = users_of(pool)
    match = _FILTER.match(filt) if filt else None
    if filt and not (match and match[2] == "=" and match[1] in FILED_ATTRIBUTES):
        return paginator.paginate(_moto_list_users(backend, user_pool_id, filt))  # a search: moto's scan
    if match:
        name, value = match[1], match[3]
        found = users.with_value(name, value)
        if name == "username" and (user := users.get(value)) is not None and user.username == value:
            found = users.in_order([*(u.username for u in found), user.username])
        return paginator.paginate(found)
    if not pagination_token:
        pages: Iterator[CognitoIdpUser] = iter(users.values())
    else:
        start = users.by_id(paginator._parsed_token["uniqueAttributes"].split("|")[0])
        if start is None or not paginator._check_predicate(start):
            raise InvalidToken("Resource not found!")
        pages = users.starting_at(start.username)
    page = list(itertools.islice(pages, paginator._max_results + 1))
    if len(page) <= paginator._max_results:
        return page, None
    return page[:-1], paginator._build_next_token(page[-1])


@paginate(pagination_model=PAGINATION_MODEL)
def list_users_in_group(backend: CognitoIdpBackend, user_pool_id: str, group_name: str) -> list[CognitoIdpUser]:
    """Replaces moto's, which scans the pool's users for the group's: the group's, in creation order."""
    users = users_of(backend.describe_user_pool(user_pool_id))
    group = backend.get_group(user_pool_id, group_name)
    return users.in_order(user.username for user in group.users if users.get(user.username) is user)


def add_users(pool_id: str, users: Iterable[tuple[str, Mapping[str, str]]], password: str) -> None:
    """Put CONFIRMED users (username, attributes) straight into a pool, past every check: how
    bench/embedded_signups.py fills a pool with 100,000 users in seconds."""
    with _requests:
        for backends in cognitoidp_backends.values():
            for backend in backends.values():
                if (pool := backend.user_pools.get(pool_id)) is not None:
                    alias = bool(pool.extended_config.get("UsernameAttributes"))
                    for username, values in users:
                        attributes = [{"Name": k, "Value": v} for k, v in values.items()]
                        user = CognitoIdpUser(pool_id, None if alias else username, password, UserStatus.CONFIRMED,
                                              attributes)
                        pool.users[user.username] = user
                    return
    raise ResourceNotFoundError(pool_id)


# ---------------------------------------------------------------- installation


_installed = False
_install_lock = threading.Lock()


def install(
    handlers: Mapping[str, Handler],
    wrappers: Mapping[str, Wrapper],
    *,
    create_id_token: IdTokenFactory,
    check_password: PasswordCheck,
) -> None:
    """Put the given handlers in place of moto's (by method name), wrap others around moto's own, and
    replace moto's user lookup, ID token and password check; idempotent, process-wide."""
    global _installed  # noqa: PLW0603 - a process-wide, once-only patch
    with _install_lock:
        if _installed:
            return
        responses: Any = CognitoIdpResponse
        for name, handler in handlers.items():
            setattr(responses, name, handler)
        for name, wrap in wrappers.items():
            setattr(responses, name, wrap(getattr(responses, name)))

        def validate_password(backend: CognitoIdpBackend, user_pool_id: str, password: str) -> None:
            """Replaces moto's check, which every password path of the backend calls."""
            check_password(backend.describe_user_pool(user_pool_id), password)

        models: Any = CognitoIdpUserPool
        models._get_user = find_user
        models.create_id_token = create_id_token
        backend_class: Any = CognitoIdpBackend
        backend_class._validate_password = validate_password
        _installed = True
