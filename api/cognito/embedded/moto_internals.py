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


# ---------------------------------------------------------------- usernames


_moto_get_user = CognitoIdpUserPool._get_user


def _case_insensitive(pool: CognitoIdpUserPool) -> bool:
    return pool.extended_config.get("UsernameConfiguration", {}).get("CaseSensitive") is False


def find_user(pool: CognitoIdpUserPool, username: str) -> CognitoIdpUser | None:
    """moto's lookup, plus Cognito's case-insensitive usernames (UsernameConfiguration.CaseSensitive=False).

    `install` puts it in place of moto's `_get_user`, so moto's own handlers find users the same way."""
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
