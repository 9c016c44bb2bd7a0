"""Every access to moto's private internals: the one file to re-check when the moto pin moves.

The fidelity layer replaces moto's cognito-idp handlers with Cognito's behaviour, and needs moto's state
to do it. Whatever it touches of moto that is not public API goes through the small typed functions and
names of this module; no other module of api/cognito/embedded imports moto, apart from `mock_aws`
(moto's public entry point) in `__init__`. Checked against moto 5.2.5. When the pin moves, re-read these
in moto's source:

- `moto.cognitoidp.responses.CognitoIdpResponse`: `_get_param`, `parameters` (parses the body afresh
  on every read), `backend`, `current_account`, `region`, `call_action` (wrapped: the request lock),
  and the handler methods `install` replaces, wraps or adds (the keys of the tables in `handlers`);
- `moto.cognitoidp.models.RegionAgnosticBackend`: `_find_backend_for_clientid`,
  `_find_backend_by_access_token`; the module's `cognitoidp_backends`;
- `CognitoIdpBackend`: `_validate_password`, `_verify_email_is_not_used`, `list_users` (its
  `__wrapped__` filtering) and `list_users_in_group` (all replaced), `user_pools`, `sessions`;
- `CognitoIdpUserPool`: `_get_user` and `create_id_token` (replaced), `create_jwt` (wrapped: its token
  signed again, by `signing`), `users` (made a property holding a UserIndex), `access_tokens`,
  `refresh_tokens` (None marks a revoked one, as moto's own sign-out does), `id_tokens`,
  `create_tokens_from_refresh_token`;
- `CognitoIdpUser`: `password` (moto keeps it in clear), `attributes`, `status` and `enabled` (made
  properties that refile the user: moto replaces them on every change, never edits them in place);
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
(`attribute_lookup`, `groups`, `create_date`, `last_modified_date`, `extended_config`, `clients`,
`schema_attributes`). tests/test_architecture.py keeps every other module of the package from
importing moto.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from types import ModuleType
from typing import Any, cast

from moto.cognitoidp import exceptions as errors
from moto.cognitoidp import models
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.cognitoidp.utils import PAGINATION_MODEL
from moto.core import exceptions as core_errors
from moto.core import responses as core_responses
from moto.utilities.paginator import Paginator, paginate

from api.cognito.embedded.user_index import UserIndex

# Re-exported by assignment (an alias of a class is a class to mypy), for the area modules.
ActionResult = core_responses.ActionResult
EmptyResult = core_responses.EmptyResult
JsonRESTError = core_errors.JsonRESTError
AliasExistsException = errors.AliasExistsException
CodeMismatchException = errors.CodeMismatchException
ExpiredCodeException = errors.ExpiredCodeException
InvalidParameterException = errors.InvalidParameterException
NotAuthorizedError = errors.NotAuthorizedError
UserNotFoundError = errors.UserNotFoundError
UsernameExistsException = errors.UsernameExistsException
UserStatus = models.UserStatus
Response = CognitoIdpResponse
Backend = models.CognitoIdpBackend
Pool = models.CognitoIdpUserPool
User = models.CognitoIdpUser
PoolAttribute = models.CognitoIdpUserPoolAttribute
Handler = Callable[[CognitoIdpResponse], core_responses.ActionResult]
Wrapper = Callable[[Handler], Handler]
IdTokenFactory = Callable[[Pool, str, str, str], tuple[str, int]]
PasswordCheck = Callable[[Pool, str], None]
# moto's own scans, which `install` replaces: the lookups module keeps them, as its reference and for searches.
moto_get_user: Callable[[Pool, str], User | None] = Pool._get_user
moto_list_users: Callable[[Backend, str, str], list[User]] = cast(
    Any, Backend.list_users
).__wrapped__  # its filtering, without its @paginate


# ---------------------------------------------------------------- the request


# Every request of every embedded pool holds it while moto and the fidelity layer handle it (`install`):
# moto's state is plain dicts, which a scan in one thread and an insert in another break ("OrderedDict
# mutated during iteration"), and a check-then-create would let two sign-ups of one name both in. The
# handlers are pure Python under the GIL, so one lock costs no parallelism (bench/embedded_signups.py).
_requests = threading.RLock()


def exclusive() -> AbstractContextManager[bool]:
    """Hold off every request while reading or changing moto's state outside one."""
    return _requests


def param(response: Response, name: str, default: Any = None) -> Any:
    """One request parameter, or `default` when the request does not name it."""
    return response._get_param(name, default)


def parameters(response: Response) -> dict[str, Any]:
    """All request parameters: a fresh dict on every call (moto parses the body each time)."""
    params: dict[str, Any] = response.parameters
    return params


def backend_of(response: Response) -> Backend:
    """The backend of the request's account and region."""
    return response.backend


def pool_for_client(response: Response, client_id: str) -> tuple[Backend, Pool]:
    """The backend and pool an app client belongs to, in any region (public calls name no pool)."""
    agnostic = models.RegionAgnosticBackend(response.current_account, response.region)
    backend = agnostic._find_backend_for_clientid(client_id)
    for pool in backend.user_pools.values():
        if client_id in pool.clients:
            return backend, pool
    raise errors.ResourceNotFoundError(client_id)


def backend_for_access_token(response: Response, token: str) -> Backend:
    """The backend that issued an access token, in any region (the request's own when none did)."""
    agnostic = models.RegionAgnosticBackend(response.current_account, response.region)
    return agnostic._find_backend_by_access_token(token)


# ---------------------------------------------------------------- moto's bookkeeping


def pools(backend: Backend) -> Iterable[Pool]:
    return backend.user_pools.values()


def access_token_owner(pool: Pool, token: str) -> tuple[str, str] | None:
    """The app client and username (as the user gave it at sign-in) of a live access token of this pool."""
    owner: tuple[str, str] | None = pool.access_tokens.get(token)
    return owner


def knows_session(backend: Backend, session: str) -> bool:
    """Whether moto issued this challenge session and has not completed it."""
    return session in backend.sessions


def mint_from_refresh(pool: Pool, refresh_token: str) -> tuple[str, str, int]:
    """New (access token, ID token, seconds valid) from a refresh token moto issued and has not revoked."""
    return pool.create_tokens_from_refresh_token(refresh_token)


def end_tokens(pool: Pool, access: Iterable[str], refresh: Iterable[str]) -> None:
    """Make moto refuse these tokens in every handler: access tokens forgotten, refresh tokens marked
    revoked (None), as moto's own sign-out does, so that moto's handlers the layer leaves in place agree."""
    for token in access:
        pool.access_tokens.pop(token, None)
    for token in refresh:
        if token in pool.refresh_tokens:
            pool.refresh_tokens[token] = None


def sign_id_token(pool: Pool, client_id: str, username: str, claims: Mapping[str, Any]) -> tuple[str, int]:
    """An ID token with these claims, signed and remembered as moto's own `create_id_token` does."""
    token, expires_in = pool.create_jwt(client_id, username, "id", extra_data=dict(claims))
    pool.id_tokens[token] = (client_id, username)
    return token, expires_in


def has_password(user: User, password: str | None) -> bool:
    return bool(user.password == password)


def set_password(user: User, password: str) -> None:
    user.password = password


def add_standard_attributes(pool: Pool) -> None:
    """Cognito lists every standard attribute in a pool's schema, even when CreateUserPool named only some."""
    for name, schema in PoolAttribute.STANDARD_SCHEMA.items():
        if name not in pool.schema_attributes:
            pool.schema_attributes[name] = PoolAttribute(name, False, schema)


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
_REFILED = ("attributes", "status", "enabled")  # what the index files a user by (user_index)


def _link(user: User, refile: Callable[[], None] | None) -> None:
    user.__dict__[_REFILE] = refile


def users_of(pool: Pool) -> UserIndex[User]:
    """The pool's users, indexed: `install` makes moto's `users` dict of every pool a UserIndex."""
    users = pool.__dict__.get("users")
    if not isinstance(users, UserIndex):
        users = pool.__dict__["users"] = UserIndex(_link, dict(users or {}).items())
    return users


def _set_users(pool: Pool, users: Mapping[str, User]) -> None:
    pool.__dict__["users"] = users if isinstance(users, UserIndex) else UserIndex(_link, dict(users).items())


def _refiling(name: str) -> property:
    """A user field that refiles the user in its pool's index whenever moto (or the layer) sets it."""

    def set_field(user: User, value: Any) -> None:
        user.__dict__[name] = value
        if (refile := user.__dict__.get(_REFILE)) is not None:
            refile()

    return property(lambda user: user.__dict__[name], set_field)


class UserPages:
    """Pages of users as moto's @paginate cuts them for ListUsers: its page size and its tokens (the
    next page's first user's id), built as it builds them, so that a bad token is refused first."""

    def __init__(self, limit: int | None, token: str | None) -> None:
        self._token = token
        self._paginator = Paginator(
            max_results=limit, max_results_default=60, starting_token=token, unique_attribute="id"
        )
        self._size: int = self._paginator._max_results

    def of(self, users: list[User]) -> tuple[list[User], str | None]:
        """The page of these users (all of them, in order) the token asks for."""
        page: tuple[list[User], str | None] = self._paginator.paginate(users)
        return page

    def first_id(self) -> str | None:
        """The id of the page's first user, which the token names (None on the first page)."""
        parsed = self._paginator._parsed_token if self._token else None
        return None if parsed is None else str(parsed["uniqueAttributes"]).split("|")[0]

    def cut(self, users: Iterator[User], first: User | None = None) -> tuple[list[User], str | None]:
        """The page of `users`, which start at `first`: the user the token names, found in the index."""
        if self._token and (first is None or not self._paginator._check_predicate(first)):
            raise core_errors.InvalidToken("Resource not found!")
        page = list(itertools.islice(users, self._size + 1))
        if len(page) <= self._size:
            return page, None
        return page[:-1], self._paginator._build_next_token(page[-1])


paginated = paginate(pagination_model=PAGINATION_MODEL)  # moto's pagination of cognito-idp's lists


def pool_by_id(pool_id: str) -> Pool:
    """A pool of any account and region, by its id (bench/embedded_signups.py fills one directly)."""
    for backends in models.cognitoidp_backends.values():
        for backend in backends.values():
            if (pool := backend.user_pools.get(pool_id)) is not None:
                return pool
    raise errors.ResourceNotFoundError(pool_id)


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
    """Put the given handlers in place of moto's (by method name; new names add Cognito calls moto lacks),
    wrap others around moto's own, run one request at a time, index users, replace moto's ID token,
    password check and scans of users (`lookups`), re-sign its tokens (`resign(pool id, token)`; moto
    files the result); idempotent, process-wide."""
    global _installed  # noqa: PLW0603 - a process-wide, once-only patch
    with _install_lock:
        if _installed:
            return
        responses: Any = CognitoIdpResponse
        for name, handler in handlers.items():
            setattr(responses, name, handler)
        for name, wrap in wrappers.items():
            setattr(responses, name, wrap(getattr(responses, name)))

        def validate_password(backend: Backend, user_pool_id: str, password: str) -> None:
            """Replaces moto's check, which every password path of the backend calls."""
            check_password(backend.describe_user_pool(user_pool_id), password)

        moto_call_action = responses.call_action

        def call_action(self: Response) -> Any:
            with _requests:  # one request at a time, serialization of the answer included
                return moto_call_action(self)

        responses.call_action = call_action
        # moto lists a response class's methods with inspect.getmembers on every request: a tenth of an
        # embedded sign-up's time, for an answer that never changes once the handlers are in place.
        core: Any = core_responses
        core.method_names_from_class = functools.cache(core.method_names_from_class)
        pool_class: Any = Pool
        pool_class._get_user = lookups.find_user
        pool_class.create_id_token = create_id_token
        moto_create_jwt = pool_class.create_jwt

        def create_jwt(pool: Pool, *args: Any, **kwargs: Any) -> tuple[str, int]:
            token, expires_in = moto_create_jwt(pool, *args, **kwargs)
            return resign(pool.id, token), expires_in

        pool_class.create_jwt = create_jwt
        pool_class.users = property(users_of, _set_users)
        for name in _REFILED:
            setattr(User, name, _refiling(name))
        backend_class: Any = Backend
        backend_class._validate_password = validate_password
        backend_class._verify_email_is_not_used = lookups.check_email_unused
        backend_class.list_users = lookups.list_users
        backend_class.list_users_in_group = lookups.list_users_in_group
        _installed = True
