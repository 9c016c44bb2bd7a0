"""Every access to moto's private internals: the one file to re-check when the moto pin moves.

The fidelity layer (pools, sign_up, invitations, authentication, users, lookups) replaces moto's
cognito-idp handlers with Cognito's behaviour, and needs moto's state to do it. Whatever it touches of
moto that is not public API goes through the small typed functions and names of this module; no other
module of api/cognito/embedded imports moto, apart from `mock_aws` (moto's public entry point) in
`__init__`. Checked against moto 5.2.5. When the pin moves, re-read these in moto's source:

- `moto.cognitoidp.responses.CognitoIdpResponse`: `_get_param`, `parameters` (parses the body afresh
  on every read), `backend`, `current_account`, `region`, `call_action` (wrapped: the request lock),
  and the handler methods `install` replaces or wraps (the keys of the tables in `handlers`);
- `moto.cognitoidp.models.RegionAgnosticBackend`: `_find_backend_for_clientid`,
  `_find_backend_by_access_token`; the module's `cognitoidp_backends`;
- `CognitoIdpBackend`: `_validate_password`, `_verify_email_is_not_used`, `list_users` (its
  `__wrapped__` filtering) and `list_users_in_group` (all replaced), `user_pools`, `sessions`;
- `CognitoIdpUserPool`: `_get_user` and `create_id_token` (replaced), `create_jwt` (wrapped: its token
  signed again, by `signing`), `users` (made a property holding a UserIndex), `access_tokens`, `id_tokens`;
- `CognitoIdpUser`: `password` (moto keeps it in clear), `attributes` (made a property that refiles the
  user: moto replaces the list on every change, never edits it in place), its constructor;
- `CognitoIdpUserPoolAttribute(name, custom, schema)` and its `STANDARD_SCHEMA`;
- `moto.utilities.paginator`: `paginate`, and `Paginator`'s `_max_results`, `_parsed_token`,
  `_check_predicate`, `_build_next_token`, with `moto.cognitoidp.utils.PAGINATION_MODEL`;
- the result and error classes of `moto.core.responses`, `moto.core.exceptions` and
  `moto.cognitoidp.exceptions`, re-exported here;
- moto's server, `moto.moto_server.werkzeug_app` (`DomainDispatcherApplication`, `create_backend_app`,
  `MotoRequestHandler`), imported only when `regapi cognito serve` runs.

Not private, and so left to the area modules (typed by the aliases below): the backend's operation
methods, named as Cognito's operations (`sign_up`, `admin_get_user`, ...), the models' `to_json`,
`update_attributes` and `update_extended_config`, and the fields that mirror Cognito's resources
(`status`, `enabled`, `attribute_lookup`, `groups`, `create_date`, `last_modified_date`,
`extended_config`, `clients`, `schema_attributes`). tests/test_architecture.py keeps every other module
of the package from importing moto.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any, cast

from moto.cognitoidp.exceptions import (
    AliasExistsException,
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
    cognitoidp_backends,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.cognitoidp.utils import PAGINATION_MODEL
from moto.core.exceptions import InvalidToken, JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.utilities.paginator import Paginator, paginate

from api.cognito.embedded.user_index import UserIndex

Response = CognitoIdpResponse
Backend = CognitoIdpBackend
Pool = CognitoIdpUserPool
User = CognitoIdpUser
PoolAttribute = CognitoIdpUserPoolAttribute
Handler = Callable[[CognitoIdpResponse], ActionResult]
Wrapper = Callable[[Handler], Handler]
IdTokenFactory = Callable[[CognitoIdpUserPool, str, str, str], tuple[str, int]]
PasswordCheck = Callable[[CognitoIdpUserPool, str], None]
# moto's own scans, which `install` replaces: the lookups module keeps them, as its reference and for searches.
moto_get_user: Callable[[CognitoIdpUserPool, str], CognitoIdpUser | None] = CognitoIdpUserPool._get_user
moto_list_users: Callable[[CognitoIdpBackend, str, str], list[CognitoIdpUser]] = cast(
    Any, CognitoIdpBackend.list_users
).__wrapped__  # its filtering, without its @paginate


__all__ = [
    "ActionResult",
    "AliasExistsException",
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


# Every request of every embedded pool holds it while moto and the fidelity layer handle it (`install`):
# moto's state is plain dicts, which a scan in one thread and an insert in another break ("OrderedDict
# mutated during iteration"), and a check-then-create would let two sign-ups of one name both in. The
# handlers are pure Python under the GIL, so one lock costs no parallelism (bench/embedded_signups.py).
_requests = threading.RLock()


def exclusive() -> AbstractContextManager[bool]:
    """Hold off every request while reading or changing moto's state outside one."""
    return _requests


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


def cognito_wsgi_app() -> Any:
    """moto's own server application, dispatching to its backends by the request's service."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app  # noqa: PLC0415 - server only

    return DomainDispatcherApplication(create_backend_app)


def request_handler() -> Any:
    """The werkzeug request handler moto's server needs."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler  # noqa: PLC0415 - server only

    return MotoRequestHandler


# ---------------------------------------------------------------- users, indexed


_REFILE = "_regapi_refile"


def _link(user: CognitoIdpUser, refile: Callable[[], None] | None) -> None:
    user.__dict__[_REFILE] = refile


def users_of(pool: CognitoIdpUserPool) -> UserIndex[CognitoIdpUser]:
    """The pool's users, indexed: `install` makes moto's `users` dict of every pool a UserIndex."""
    users = pool.__dict__.get("users")
    if not isinstance(users, UserIndex):
        users = pool.__dict__["users"] = UserIndex(_link, dict(users or {}).items())
    return users


def _set_users(pool: CognitoIdpUserPool, users: Mapping[str, CognitoIdpUser]) -> None:
    pool.__dict__["users"] = users if isinstance(users, UserIndex) else UserIndex(_link, dict(users).items())


def _attributes(user: CognitoIdpUser) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], user.__dict__["attributes"])


def _set_attributes(user: CognitoIdpUser, attributes: list[dict[str, Any]]) -> None:
    """moto replaces a user's attribute list on every change, never edits it in place: refile it then."""
    user.__dict__["attributes"] = attributes
    if (refile := user.__dict__.get(_REFILE)) is not None:
        refile()


class UserPages:
    """Pages of users as moto's @paginate cuts them for ListUsers: its page size and its tokens (the
    next page's first user's id), built as it builds them, so that a bad token is refused first."""

    def __init__(self, limit: int | None, token: str | None) -> None:
        self._token = token
        self._paginator = Paginator(
            max_results=limit, max_results_default=60, starting_token=token, unique_attribute="id"
        )
        self._size: int = self._paginator._max_results

    def of(self, users: list[CognitoIdpUser]) -> tuple[list[CognitoIdpUser], str | None]:
        """The page of these users (all of them, in order) the token asks for."""
        page: tuple[list[CognitoIdpUser], str | None] = self._paginator.paginate(users)
        return page

    def first_id(self) -> str | None:
        """The id of the page's first user, which the token names (None on the first page)."""
        parsed = self._paginator._parsed_token if self._token else None
        return None if parsed is None else str(parsed["uniqueAttributes"]).split("|")[0]

    def cut(
        self, users: Iterator[CognitoIdpUser], first: CognitoIdpUser | None = None
    ) -> tuple[list[CognitoIdpUser], str | None]:
        """The page of `users`, which start at `first`: the user the token names, found in the index."""
        if self._token and (first is None or not self._paginator._check_predicate(first)):
            raise InvalidToken("Resource not found!")
        page = list(itertools.islice(users, self._size + 1))
        if len(page) <= self._size:
            return page, None
        return page[:-1], self._paginator._build_next_token(page[-1])


paginated = paginate(pagination_model=PAGINATION_MODEL)  # moto's pagination of cognito-idp's lists


def pool_by_id(pool_id: str) -> CognitoIdpUserPool:
    """A pool of any account and region, by its id (bench/embedded_signups.py fills one directly)."""
    for backends in cognitoidp_backends.values():
        for backend in backends.values():
            if (pool := backend.user_pools.get(pool_id)) is not None:
                return pool
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
    lookups: ModuleType,
    resign: Callable[[str, str], str],
) -> None:
    """Put the given handlers in place of moto's (by method name), wrap others around moto's own, run one
    request at a time, index users, replace moto's ID token, password check and scans of users (`lookups`),
    re-sign its tokens (`resign(pool id, token)`; moto files the result); idempotent, process-wide."""
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

        moto_call_action = responses.call_action

        def call_action(self: CognitoIdpResponse) -> Any:
            with _requests:  # one request at a time, serialization of the answer included
                return moto_call_action(self)

        responses.call_action = call_action
        models: Any = CognitoIdpUserPool
        models._get_user = lookups.find_user
        models.create_id_token = create_id_token
        moto_create_jwt = models.create_jwt

        def create_jwt(pool: CognitoIdpUserPool, *args: Any, **kwargs: Any) -> tuple[str, int]:
            token, expires_in = moto_create_jwt(pool, *args, **kwargs)
            return resign(pool.id, token), expires_in

        models.create_jwt = create_jwt
        models.users = property(users_of, _set_users)
        cast(Any, CognitoIdpUser).attributes = property(_attributes, _set_attributes)
        backend_class: Any = CognitoIdpBackend
        backend_class._validate_password = validate_password
        backend_class._verify_email_is_not_used = lookups.check_email_unused
        backend_class.list_users = lookups.list_users
        backend_class.list_users_in_group = lookups.list_users_in_group
        _installed = True
