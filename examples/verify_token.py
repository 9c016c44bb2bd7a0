"""Verify a Cognito token as your backend must: signature, issuer, expiry, token use and app client.

The same code verifies real Cognito's tokens and the embedded Cognito's (`make run`, `regapi cognito
serve`): each serves a pool's keys at `<iss>/.well-known/jwks.json`. Pass the token as the last argument
or on stdin; exit status 0 means valid.
"""

import argparse
import re
import sys

import jwt

parser = argparse.ArgumentParser(description="Verify a Cognito access or ID token.")
parser.add_argument("--issuer-prefix", required=True, help="your pools' issuer without the pool id")
parser.add_argument("--client-id", required=True, help="the app client the token must be issued to")
parser.add_argument("--token-use", choices=["access", "id"], default="access")
parser.add_argument("token", nargs="?", help="the token (default: read from stdin)")
args = parser.parse_args()
token = (args.token or sys.stdin.read()).strip()

try:
    # The key set's address comes from the token's own `iss`, unverified so far: a forger would name a
    # key set of their own there, and their signature would check out against it. So `iss` must be the
    # prefix you trust plus one pool id before anything is fetched from it.
    issuer = str(jwt.decode(token, options={"verify_signature": False}).get("iss", ""))
    pool_id = issuer.removeprefix(args.issuer_prefix.rstrip("/") + "/")
    if pool_id == issuer or not re.fullmatch(r"[\w-]+_[0-9a-zA-Z]+", pool_id):
        raise jwt.InvalidIssuerError(f"not issued by a pool under {args.issuer_prefix}")
    key = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        issuer=issuer,
        # ID tokens name the app client in `aud`; access tokens have no `aud`, they name it in `client_id`.
        audience=args.client_id if args.token_use == "id" else None,
        options={"require": ["exp", "iat", "iss", "sub", "token_use"]},
    )
    if claims["token_use"] != args.token_use:  # an ID token is no access token, though signed alike
        raise jwt.InvalidTokenError(f"token_use is {claims['token_use']!r}, not {args.token_use!r}")
    if args.token_use == "access" and claims.get("client_id") != args.client_id:
        raise jwt.InvalidTokenError("issued to another app client")
except jwt.PyJWTError as exc:
    print(f"invalid token: {exc}", file=sys.stderr)
    sys.exit(1)
print(f"valid {args.token_use} token: sub {claims['sub']}, pool {pool_id}")
