"""CreateUserPool and UpdateUserPool: the pool's schema and settings as Cognito keeps them."""

from __future__ import annotations

from api.cognito.embedded.moto_internals import (
    ActionResult,
    EmptyResult,
    Response,
    add_standard_attributes,
    backend_of,
    parameters,
)


def create_user_pool(self: Response) -> ActionResult:
    # As in moto's own handler, PoolName stays among the settings the pool keeps.
    name = parameters(self)["PoolName"]
    pool = backend_of(self).create_user_pool(name, parameters(self))
    add_standard_attributes(pool)
    return ActionResult({"UserPool": pool.to_json(extended=True)})


def update_user_pool(self: Response) -> ActionResult:
    """UpdateUserPool resets the updatable settings it is not given; moto also forgot the ones that can
    never change after creation (username attributes and case sensitivity)."""
    params = parameters(self)
    pool = backend_of(self).describe_user_pool(params.pop("UserPoolId"))
    fixed = ("UsernameAttributes", "AliasAttributes", "UsernameConfiguration")
    pool.update_extended_config({**params, **{k: pool.extended_config[k] for k in fixed if k in pool.extended_config}})
    return EmptyResult()
