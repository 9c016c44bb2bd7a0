"""The address an approved sign-up must still prove. Approval vouches for nobody's mailbox: an attacker's
sign-up with someone else's address, once approved, would otherwise be an account on that address. So
the first sign-in of a self-registered user whose e-mail is unverified sends a code to it and holds the
tokens back (`held_tokens`) until confirmSignIn brings the code (Cognito's VerifyUserAttribute, with the
held access token); then the tokens are refreshed, so the ID token says the address is verified.
"""

from __future__ import annotations

from collections.abc import Mapping

from api.clock import Clock
from api.cognito.port import IdentityProvider, ProviderError, ProviderErrorCode, Tokens
from api.events.model import EventType
from api.policy.model import ORIGIN_ATTRIBUTE
from api.registration import requests as rq
from api.registration.failures import (
    CODE_EXPIRED,
    INVALID_SESSION,
    WRONG_CODE,
    UnexpectedProviderError,
    refuse,
    translate,
)
from api.registration.held_tokens import Held, HeldTokens
from api.registration.limits import AttemptLimiter
from api.registration.outcomes import AddressProofRequired, Delivery, DeliveryMedium, ErrorCode, SignedIn
from api.registration.partners import Partners
from api.registration.requests import ANONYMOUS, plausible_code
from api.registration.single_use import SingleUse
from api.registration.tenancy import Target, Tenancy


def must_prove_address(claims: Mapping[str, object]) -> bool:
    """A user who signed themselves up, with an address nobody has proven: an approved sign-up (confirming
    a sign-up's code verifies the address; an invitation's administrator vouches for it)."""
    proven = claims.get("email_verified") in (True, "true")  # a boolean claim; some emulators say "true"
    return claims.get(ORIGIN_ATTRIBUTE) == "sign_up" and "email" in claims and not proven


class AddressProof:
    def __init__(
        self,
        tenancy: Tenancy,
        provider: IdentityProvider,
        *,
        held: HeldTokens,
        limiter: AttemptLimiter,
        used_sessions: SingleUse,
        clock: Clock,
        partners: Partners,
    ) -> None:
        self._partners = partners
        self._tenancy = tenancy
        self._provider = provider
        self._held = held
        self._limiter = limiter
        self._used_sessions = used_sessions
        self._clock = clock

    async def hold(self, target: Target, tokens: Tokens) -> AddressProofRequired:
        if tokens.refresh_token is None:
            raise UnexpectedProviderError("a sign-in without a refresh token")
        # Each such sign-in mails the address: counted as the other code sends are, so signing in again and
        # again cannot flood a mailbox that may be someone else's.
        limits = target.policy.policy.limits
        await self._limiter.take(target.tenant, limits, "resends_per_user", target.tenant, target.username)
        try:
            sent = await self._provider.send_verification_code(target.pool, tokens.access_token, "email")
        except ProviderError as error:
            refuse(translate(error))
        session = self._held.hold(
            target.tenant, target.username, tokens.access_token, tokens.refresh_token, now=self._clock.now()
        )
        return AddressProofRequired(session, Delivery(DeliveryMedium(sent.medium), sent.destination) if sent else None)

    async def confirm_sign_in(self, request: rq.ConfirmSignIn, caller: rq.Caller = ANONYMOUS) -> SignedIn:
        target = self._tenancy.target(request.tenant, request.username, caller)
        held = self._held.release(request.session, target.tenant, target.username, now=self._clock.now())
        if held is None:
            # Junk sent for someone's name counts for the address only: it must not lock their sign-in.
            limits = target.policy.policy.limits
            await self._limiter.take(target.tenant, limits, "attempts_per_address", target.tenant, caller.address)
            refuse(INVALID_SESSION)
        return await self._limiter.guarded(
            target,
            caller,
            "wrong_codes_per_user",
            lambda: self._prove(target, request, held),
            {ErrorCode.CODE_MISMATCH},
        )

    async def _prove(self, target: Target, request: rq.ConfirmSignIn, held: Held) -> SignedIn:
        if not plausible_code(request.code):
            refuse(WRONG_CODE)
        use = f"{target.tenant}\0{held.nonce}"  # one proof per session, even for two answers sent at once
        ttl = max(1, int((held.expires_at - self._clock.now()).total_seconds()) + 1)
        if not await self._used_sessions.claim(use, ttl):
            refuse(INVALID_SESSION)
        try:
            await self._provider.verify_user_attribute(target.pool, held.access_token, "email", request.code)
        except ProviderError as error:
            await self._used_sessions.release(use)  # not proven: the session may try again, within the limits
            match error.code:
                case ProviderErrorCode.CODE_MISMATCH:
                    refuse(WRONG_CODE)
                case ProviderErrorCode.CODE_EXPIRED:
                    refuse(CODE_EXPIRED)
                case ProviderErrorCode.NOT_AUTHORIZED:
                    refuse(INVALID_SESSION)  # the held token was revoked meanwhile: sign in again
            refuse(translate(error))
        # An approved sign-up's address is proven only now: the partner hears it as any confirmation.
        await self._partners.tell(target, EventType.USER_CONFIRMED)
        fresh = await self._provider.refresh(target.pool, target.username, held.refresh_token)
        return SignedIn(
            Tokens(fresh.id_token, fresh.access_token, held.refresh_token, fresh.expires_in, fresh.token_type)
        )
