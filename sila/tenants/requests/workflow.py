"""The request workflow as pure code, driven by the enabled steps of a policy version.

A request's `stage` is the step waiting to be done (`verify`, `refer`, `attest`,
`committee`, `register`, `deliver`), a sub-state of one (`incomplete` while verification
waits for the applicant, `research` while a referral waits for the researcher), or an end
(`closed`, `rejected`). `receive` is done by intake itself, so it is never a waiting stage.

Completing a step moves the request to the next enabled step that is not already
satisfied (an online request arrives attested, so its `attest` step is satisfied at
intake). Steps the policy does not have never appear.

Who decides: the research committee when the policy has that step; otherwise the relations
officer at the first of `register` / `deliver` (Haramain's procedure has no committee: a
complete request is registered, or declined with a reason).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sila.platform.i18n import N_
from sila.platform.roles import Role

STEP_CODES = ("receive", "verify", "refer", "attest", "committee", "register", "deliver")
END_STAGES = ("closed", "rejected")
STAGES = ("verify", "incomplete", "refer", "research", "attest", "committee", "register", "deliver", *END_STAGES)
STEP_OF_STAGE = {"incomplete": "verify", "research": "refer"}

MSG_WRONG_STATE = N_("This request is not at a stage where that can be done; the page shows where it is now.")
MSG_WRONG_ROLE = N_("Your role does not allow this action.")
MSG_NOT_IN_POLICY = N_("This step is not part of the policy this request was submitted under.")
MSG_IN_SESSION = N_("The research committee decides only in a committee session, where the request is on the agenda.")

# Labels for staff, and the wording applicants see on the tracking page.
STAGE_LABELS = {
    "verify": N_("Verification"),
    "incomplete": N_("Waiting for missing information"),
    "refer": N_("Referral decision"),
    "research": N_("With the social researcher"),
    "attest": N_("Waiting for the signed attestation"),
    "committee": N_("Research committee"),
    "register": N_("Registration"),
    "deliver": N_("Service delivery"),
    "closed": N_("Closed"),
    "rejected": N_("Declined"),
}
APPLICANT_STAGE_LABELS = {
    "verify": N_("We are checking your information and documents."),
    "incomplete": N_("Some information or documents are missing."),
    "refer": N_("We are checking your information and documents."),
    "research": N_("A social researcher is studying your request."),
    "attest": N_("We are waiting for your signed attestation."),
    "committee": N_("Your request is with the research committee."),
    "register": N_("Your request was accepted; registration is being completed."),
    "deliver": N_("Your request was accepted; the service is being provided."),
    "closed": N_("The service was provided and the request is closed."),
    "rejected": N_("Your request was declined."),
}


class TransitionError(Exception):
    def __init__(self, msgid: str, kind: str, **variables: object) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.kind = kind  # "role" (403), "state" (409)
        self.variables = variables  # for the msgid's placeholders, if any


class Problem(Exception):
    """Bad input only the service can judge (it needs the request's rows): field, msgid, variables."""

    def __init__(self, field: str, msgid: str, **variables: object) -> None:
        super().__init__(msgid)
        self.field, self.msgid, self.variables = field, msgid, variables


@dataclass(frozen=True)
class Action:
    code: str
    roles: frozenset[str]
    sources: frozenset[str]
    completes: str | None = None  # the step this action completes: go to the next one
    target: str | None = None  # or a fixed next stage
    in_session: bool = False  # only a committee session may do it, never the request page


def _a(code: str, roles: Iterable[str], sources: Iterable[str], completes: str | None = None,
       target: str | None = None, in_session: bool = False) -> Action:
    return Action(code, frozenset(roles), frozenset(sources), completes, target, in_session)


ACTIONS: dict[str, Action] = {a.code: a for a in (
    _a("verify", [Role.relations_officer], ["verify", "incomplete"], completes="verify"),
    _a("mark_incomplete", [Role.relations_officer], ["verify", "incomplete"], target="incomplete"),
    _a("refer", [Role.relations_officer], ["refer"], target="research"),
    _a("skip_referral", [Role.relations_officer], ["refer"], completes="refer"),
    _a("report", [Role.social_researcher], ["research"], completes="refer"),
    _a("attest", [Role.relations_officer], ["attest"], completes="attest"),
    # The committee decides in a session (committee.decide), never one member on the request page.
    _a("accept", [Role.committee_member], ["committee"], completes="committee", in_session=True),
    _a("reject", [Role.committee_member], ["committee"], target="rejected", in_session=True),  # adjusted without a committee
    _a("register", [Role.relations_officer], ["register"], completes="register"),
    _a("record_service", [Role.relations_officer], ["deliver"], target="deliver"),
    _a("close", [Role.relations_officer], ["deliver"], target="closed"),
)}


@dataclass(frozen=True)
class Workflow:
    steps: tuple[str, ...]

    @classmethod
    def from_steps(cls, steps: Iterable[str]) -> Workflow:
        """Known steps once each, in the policy's order; `receive` first and `deliver` last
        (policy rules already demand it; a workflow cannot run without them). Attestation is
        required before the committee, so where a policy lists it after, it moves before."""
        seen: list[str] = []
        for s in steps:
            if s in STEP_CODES and s not in seen and s not in ("receive", "deliver"):
                seen.append(s)
        if "attest" in seen and "committee" in seen and seen.index("attest") > seen.index("committee"):
            seen.remove("attest")
            seen.insert(seen.index("committee"), "attest")
        return cls(("receive", *seen, "deliver"))

    @property
    def has_committee(self) -> bool:
        return "committee" in self.steps

    @property
    def decision_stage(self) -> str:
        """Where accept / decline is decided."""
        if self.has_committee:
            return "committee"
        return "register" if "register" in self.steps else "deliver"

    def next_stage(self, after: str, satisfied: Iterable[str] = ()) -> str:
        done = set(satisfied)
        for step in self.steps[self.steps.index(after) + 1:]:
            if step not in done:
                return step
        return "closed"

    def first_stage(self, satisfied: Iterable[str] = ()) -> str:
        return self.next_stage("receive", satisfied)

    def action(self, code: str) -> Action:
        action = ACTIONS.get(code)
        if action is None:
            raise TransitionError(MSG_WRONG_STATE, "state")
        if code == "reject" and not self.has_committee:
            return _a("reject", [Role.relations_officer], [self.decision_stage], target="rejected")
        return action

    def in_policy(self, code: str) -> bool:
        action = ACTIONS.get(code)
        if action is None:
            return False
        if code == "reject":
            return True
        stage = next(iter(action.sources))
        return STEP_OF_STAGE.get(stage, stage) in self.steps

    def transition(self, stage: str, code: str, roles: Iterable[str], satisfied: Iterable[str] = (), *,
                   in_session: bool = False) -> str:
        """The stage after doing `code` at `stage`, or TransitionError. Role is checked
        first: a person who may never do this learns that, not where the request is.
        A committee decision is refused unless it comes from a committee session."""
        if not self.in_policy(code):
            raise TransitionError(MSG_NOT_IN_POLICY, "state")
        action = self.action(code)
        if not action.roles & set(roles):
            raise TransitionError(MSG_WRONG_ROLE, "role")
        if stage not in action.sources:
            raise TransitionError(MSG_WRONG_STATE, "state")
        if action.in_session and not in_session:
            raise TransitionError(MSG_IN_SESSION, "role")
        if action.completes:
            return self.next_stage(action.completes, satisfied)
        assert action.target
        return action.target

    def available(self, stage: str, roles: Iterable[str]) -> list[str]:
        """Actions these roles can take at this stage on the request page (what it offers);
        committee decisions are taken in a session, so they are never among them."""
        roles = set(roles)
        out = []
        for code in ACTIONS:
            if not self.in_policy(code):
                continue
            action = self.action(code)
            if stage in action.sources and action.roles & roles and not action.in_session:
                out.append(code)
        return out

    def stages(self) -> list[str]:
        """Waiting stages this workflow can be in, in order (for queue filters)."""
        out: list[str] = []
        for step in self.steps[1:]:
            out.append(step)
            if step == "verify":
                out.append("incomplete")
            if step == "refer":
                out.append("research")
        return [*out, *END_STAGES]
