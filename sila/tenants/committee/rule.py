"""The research committee's decision rule, pure Python: who the committee is, what quorum and
majority it needs, and what a set of votes decides.

The rule is part of the policy (`PolicyDraft.committee`, a dict of `CommitteeRule` fields),
so it is versioned with it; a session copies the rule in force when it is opened, so a later
policy change never rewrites how an earlier session decided.

How `outcome()` counts, for one agenda item:
- Only the rule's members count. A member who declared a conflict of interest on the item is
  neither present nor voting for it (their vote, if any, is ignored).
- Quorum: members present and not conflicted, at least a majority of all members
  (more than half) or the fixed number the rule sets.
- Abstentions count on neither side; the majority is of the votes cast (accept + decline).
  simple: more than half; two thirds: at least two thirds; unanimous: every vote cast.
  Either side can win (accept or decline); when neither reaches the majority there is no
  decision and the item can only be deferred.
- A tie under the simple majority is broken by the presiding member's vote when the rule
  gives the chair a casting vote (the chair presides, the deputy when the chair is absent or
  conflicted) and that member voted accept or decline.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from sila.platform.i18n import N_

QUORUM_KINDS = {"majority": N_("A majority of the members"), "fixed": N_("A fixed number of members")}
MAJORITIES = {"simple": N_("Simple majority of the votes cast"), "two_thirds": N_("Two thirds of the votes cast"),
              "unanimous": N_("Unanimous")}
VOTE_CHOICES = ("accept", "reject", "abstain")
MAX_MEMBERS = 30

MSG_NO_QUORUM = N_("No quorum: %(present)s of %(members)s members present and free to vote, %(needed)s needed.")
MSG_NO_VOTES = N_("No decision: no member voted to accept or decline.")
MSG_NOT_REACHED = N_("No decision: neither side reached the majority needed (%(accept)s to accept, "
                     "%(reject)s to decline).")
MSG_TIE = N_("No decision: the votes are tied (%(accept)s to %(reject)s) and the rule gives no casting vote.")
MSG_TIE_NO_CASTER = N_("No decision: the votes are tied (%(accept)s to %(reject)s) and the presiding member "
                       "did not vote.")
MSG_CARRIED = N_("%(side)s by %(accept)s to accept, %(reject)s to decline, %(abstain)s abstaining.")
MSG_CASTING = N_("%(side)s by the casting vote of the presiding member, the votes being tied "
                 "(%(accept)s to %(reject)s).")
SIDES = {"accept": N_("Accepted"), "reject": N_("Declined")}

MSG_MEMBERS_REQUIRED = N_("Choose at least one committee member.")
MSG_TOO_MANY_MEMBERS = N_("A committee can have at most %(n)s members.")
MSG_CHAIR_NOT_MEMBER = N_("The chair must be one of the members.")
MSG_DEPUTY_NOT_MEMBER = N_("The deputy must be one of the members.")
MSG_DEPUTY_IS_CHAIR = N_("The deputy cannot be the chair.")
MSG_QUORUM_KIND = N_("Choose how the quorum is counted.")
MSG_QUORUM_COUNT = N_("Enter the quorum as a whole number between 1 and the number of members.")
MSG_MAJORITY = N_("Choose the majority needed.")


@dataclasses.dataclass(frozen=True)
class CommitteeRule:
    members: tuple[str, ...] = ()  # staff user ids, as text
    member_names: tuple[str, ...] = ()  # their names when the rule was saved, for the version page
    chair: str | None = None
    deputy: str | None = None
    quorum: str = "majority"  # QUORUM_KINDS
    quorum_count: int | None = None  # with quorum "fixed"
    majority: str = "simple"  # MAJORITIES
    casting_vote: bool = True
    # The fallback a session gets when the policy version in force set up no rule (every committee
    # member on the staff, no chair, majority quorum, simple majority): its pages say so.
    default: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> CommitteeRule:
        d = dict(data or {})
        names = {f.name for f in dataclasses.fields(cls)}
        d = {k: v for k, v in d.items() if k in names}
        for key in ("members", "member_names"):
            d[key] = tuple(str(x) for x in d.get(key) or ())
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["members"], d["member_names"] = list(self.members), list(self.member_names)
        return d

    @property
    def configured(self) -> bool:
        return bool(self.members)

    def name_of(self, member: str | None) -> str:
        if member and member in self.members:
            i = self.members.index(member)
            return self.member_names[i] if i < len(self.member_names) else ""
        return ""

    def quorum_needed(self) -> int:
        n = len(self.members)
        if self.quorum == "fixed" and self.quorum_count:
            return self.quorum_count
        return n // 2 + 1

    def presiding(self, present: Iterable[str], conflicts: Iterable[str] = ()) -> str | None:
        """Who presides over an item: the chair, or the deputy when the chair is absent or
        conflicted; None when neither can (then nobody may confirm the decision). A rule
        without a chair lets any present member confirm (see `may_confirm`)."""
        free = set(present) - set(conflicts)
        for who in (self.chair, self.deputy):
            if who and who in free and who in self.members:
                return who
        return None

    def may_confirm(self, member: str, present: Iterable[str], conflicts: Iterable[str] = ()) -> bool:
        present, conflicts = set(present), set(conflicts)
        if member not in self.members or member not in present or member in conflicts:
            return False
        if not self.chair and not self.deputy:
            return True
        return self.presiding(present, conflicts) == member


def validate(rule: CommitteeRule, staff: Iterable[str]) -> dict[str, list[str]]:
    """Errors for the policy's committee page ({field: [msgid]}); `staff` are the ids of the
    tenant's committee-member staff, the only people who may be members."""
    errors: dict[str, list[str]] = {}
    known = set(staff)

    def add(key: str, msg: str) -> None:
        errors.setdefault(key, []).append(msg)

    if not rule.members or any(m not in known for m in rule.members):
        add("members", MSG_MEMBERS_REQUIRED)
    elif len(rule.members) > MAX_MEMBERS:
        add("members", MSG_TOO_MANY_MEMBERS)
    if rule.chair and rule.chair not in rule.members:
        add("chair", MSG_CHAIR_NOT_MEMBER)
    if rule.deputy and rule.deputy not in rule.members:
        add("deputy", MSG_DEPUTY_NOT_MEMBER)
    elif rule.deputy and rule.deputy == rule.chair:
        add("deputy", MSG_DEPUTY_IS_CHAIR)
    if rule.quorum not in QUORUM_KINDS:
        add("quorum", MSG_QUORUM_KIND)
    elif rule.quorum == "fixed" and not (isinstance(rule.quorum_count, int) and
                                         1 <= rule.quorum_count <= max(len(rule.members), 1)):
        add("quorum_count", MSG_QUORUM_COUNT)
    if rule.majority not in MAJORITIES:
        add("majority", MSG_MAJORITY)
    return errors


@dataclasses.dataclass(frozen=True)
class Outcome:
    quorum_met: bool
    needed: int  # members needed for quorum
    counted: int  # members present and free to vote
    accept: int
    reject: int
    abstain: int
    decision: str | None  # "accept" | "reject" | None: no decision
    casting: bool  # decided by the casting vote
    msgid: str  # the reason, with `params`
    params: dict[str, Any]

    def text(self, gettext: Any = lambda s: s) -> str:
        params = dict(self.params)
        if "side" in params:
            params["side"] = gettext(params["side"])
        return gettext(self.msgid) % params

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _reaches(side: int, cast: int, majority: str) -> bool:
    if majority == "unanimous":
        return side == cast
    if majority == "two_thirds":
        return 3 * side >= 2 * cast
    return 2 * side > cast


def outcome(rule: CommitteeRule, present: Iterable[str], conflicts: Iterable[str],
            votes: Mapping[str, str]) -> Outcome:
    """What the committee decided on one item under `rule`: `present` the members who attend,
    `conflicts` those who declared a conflict of interest on this item, `votes` member ->
    "accept" | "reject" | "abstain". See the module for the counting."""
    members = set(rule.members)
    conflicted = set(conflicts) & members
    counted = (set(present) & members) - conflicted
    needed = rule.quorum_needed()
    tally = {v: 0 for v in VOTE_CHOICES}
    for member, vote in votes.items():
        if member in counted and vote in tally:
            tally[vote] += 1
    a, r, x = tally["accept"], tally["reject"], tally["abstain"]
    counts = {"accept": a, "reject": r, "abstain": x}

    def result(decision: str | None, msgid: str, casting: bool = False, **params: Any) -> Outcome:
        return Outcome(len(counted) >= needed, needed, len(counted), a, r, x, decision, casting, msgid,
                       {**counts, **params})

    if len(counted) < needed:
        return result(None, MSG_NO_QUORUM, present=len(counted), members=len(members), needed=needed)
    cast = a + r
    if cast == 0:
        return result(None, MSG_NO_VOTES)
    for side, n in (("accept", a), ("reject", r)):
        if _reaches(n, cast, rule.majority):  # at most one side can: c > 0 and each needs over half
            return result(side, MSG_CARRIED, side=SIDES[side])
    if a == r and rule.majority == "simple":
        if not rule.casting_vote:
            return result(None, MSG_TIE)
        caster = rule.presiding(counted)
        cast_by_chair = votes.get(caster) if caster else None
        if cast_by_chair in SIDES:
            return result(cast_by_chair, MSG_CASTING, casting=True, side=SIDES[cast_by_chair])
        return result(None, MSG_TIE_NO_CASTER)
    return result(None, MSG_NOT_REACHED)
