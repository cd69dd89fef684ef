"""The committee's decision rule (sila/tenants/committee/rule.py) over generated committees and
vote sets: quorum, majorities, ties and the casting vote, abstentions, conflicts of interest."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sila.tenants.committee.rule import CommitteeRule, outcome, validate

MEMBERS = tuple(f"m{i}" for i in range(9))


@st.composite
def committees(draw):
    n = draw(st.integers(1, len(MEMBERS)))
    members = MEMBERS[:n]
    chair = draw(st.sampled_from((None, *members)))
    deputy = draw(st.sampled_from((None, *[m for m in members if m != chair])))
    quorum = draw(st.sampled_from(("majority", "fixed")))
    rule = CommitteeRule(members=members, member_names=members, chair=chair, deputy=deputy, quorum=quorum,
                         quorum_count=draw(st.integers(1, n)) if quorum == "fixed" else None,
                         majority=draw(st.sampled_from(("simple", "two_thirds", "unanimous"))),
                         casting_vote=draw(st.booleans()))
    present = draw(st.sets(st.sampled_from(members)))
    conflicts = draw(st.sets(st.sampled_from(members)))
    # Votes may come from anyone, even absent or conflicted members and strangers: they must not count.
    voters = st.sampled_from((*members, "stranger"))
    votes = draw(st.dictionaries(voters, st.sampled_from(("accept", "reject", "abstain"))))
    return rule, present, conflicts, votes


def counted(rule, present, conflicts):
    return (set(present) & set(rule.members)) - set(conflicts)


@settings(max_examples=400)
@given(committees())
def test_quorum_counts_members_present_and_free_of_conflict(case):
    rule, present, conflicts, votes = case
    result = outcome(rule, present, conflicts, votes)
    free = counted(rule, present, conflicts)
    needed = rule.quorum_count if rule.quorum == "fixed" else len(rule.members) // 2 + 1
    assert result.needed == needed and result.counted == len(free)
    assert result.quorum_met == (len(free) >= needed)
    if not result.quorum_met:
        assert result.decision is None


@settings(max_examples=400)
@given(committees())
def test_only_votes_of_members_present_and_free_count(case):
    rule, present, conflicts, votes = case
    result = outcome(rule, present, conflicts, votes)
    free = counted(rule, present, conflicts)
    mine = {m: v for m, v in votes.items() if m in free}
    assert (result.accept, result.reject, result.abstain) == tuple(
        sum(1 for v in mine.values() if v == side) for side in ("accept", "reject", "abstain"))
    # The same decision whatever the others "voted".
    assert outcome(rule, present, conflicts, mine) == result


@settings(max_examples=400)
@given(committees())
def test_the_decision_has_the_majority_the_rule_needs(case):
    rule, present, conflicts, votes = case
    result = outcome(rule, present, conflicts, votes)
    a, r = result.accept, result.reject
    if result.decision is None:
        return
    win, lose = (a, r) if result.decision == "accept" else (r, a)
    if result.casting:
        assert rule.majority == "simple" and rule.casting_vote and a == r > 0
        caster = rule.presiding(counted(rule, present, conflicts))
        assert caster is not None and votes[caster] == result.decision
    elif rule.majority == "simple":
        assert win > lose
    elif rule.majority == "two_thirds":
        assert 3 * win >= 2 * (win + lose) and win > 0
    else:
        assert lose == 0 and win > 0


@settings(max_examples=400)
@given(committees())
def test_a_side_with_the_majority_is_always_decided(case):
    """The other direction: when quorum is met and one side has the majority, that is the outcome."""
    rule, present, conflicts, votes = case
    result = outcome(rule, present, conflicts, votes)
    a, r = result.accept, result.reject
    if not result.quorum_met or a + r == 0:
        assert result.decision is None
        return
    reached = {"simple": lambda s, o: s > o, "two_thirds": lambda s, o: 3 * s >= 2 * (s + o),
               "unanimous": lambda s, o: o == 0}[rule.majority]
    if reached(a, r):
        assert result.decision == "accept" and not result.casting
    elif reached(r, a):
        assert result.decision == "reject" and not result.casting


@settings(max_examples=300)
@given(committees(), st.sampled_from(MEMBERS))
def test_an_abstention_changes_nothing_but_the_count(case, member):
    rule, present, conflicts, votes = case
    if member not in counted(rule, present, conflicts) or member in votes:
        return
    before = outcome(rule, present, conflicts, votes)
    after = outcome(rule, present, conflicts, {**votes, member: "abstain"})
    assert after.abstain == before.abstain + 1
    assert (after.decision, after.casting, after.quorum_met) == (before.decision, before.casting, before.quorum_met)


@settings(max_examples=300)
@given(committees())
def test_a_tie_is_decided_only_by_the_casting_vote(case):
    rule, present, conflicts, votes = case
    result = outcome(rule, present, conflicts, votes)
    if result.quorum_met and result.accept == result.reject > 0:
        caster = rule.presiding(counted(rule, present, conflicts))
        if rule.majority == "simple" and rule.casting_vote and caster and votes.get(caster) in ("accept", "reject"):
            assert result.decision == votes[caster] and result.casting
        else:
            assert result.decision is None


@settings(max_examples=300)
@given(committees(), st.sampled_from(MEMBERS))
def test_declaring_a_conflict_takes_the_member_out_of_quorum_and_vote(case, member):
    rule, present, conflicts, votes = case
    with_conflict = outcome(rule, present, conflicts | {member}, votes)
    without_member = outcome(rule, set(present) - {member}, conflicts, {k: v for k, v in votes.items() if k != member})
    assert with_conflict.counted == without_member.counted
    assert (with_conflict.accept, with_conflict.reject, with_conflict.abstain) == (
        without_member.accept, without_member.reject, without_member.abstain)


def test_examples_checked_by_hand():
    five = CommitteeRule(members=("a", "b", "c", "d", "e"), chair="a", deputy="b")
    everyone = set(five.members)
    assert outcome(five, {"a", "b"}, set(), {"a": "accept", "b": "accept"}).decision is None  # 2 of 5: no quorum
    assert outcome(five, {"a", "b", "c"}, set(), {"a": "accept", "b": "accept", "c": "reject"}).decision == "accept"
    # 2-2 with one abstaining: the chair's casting vote decides...
    tie = {"a": "reject", "b": "accept", "c": "accept", "d": "reject", "e": "abstain"}
    result = outcome(five, everyone, set(), tie)
    assert result.decision == "reject" and result.casting
    assert "casting vote" in result.text()
    # ... the deputy's when the chair declared a conflict ...
    assert outcome(five, everyone, {"a"}, {**tie, "a": "reject", "e": "reject"}).decision == "accept"  # b: accept
    # ... and nobody's without a casting vote.
    no_casting = CommitteeRule(members=five.members, chair="a", casting_vote=False)
    assert outcome(no_casting, everyone, set(), tie).decision is None
    two_thirds = CommitteeRule(members=five.members, majority="two_thirds")
    assert outcome(two_thirds, everyone, set(), {"a": "accept", "b": "accept", "c": "reject"}).decision == "accept"
    assert outcome(two_thirds, everyone, set(), {"a": "accept", "b": "accept", "c": "reject",
                                                 "d": "reject"}).decision is None
    unanimous = CommitteeRule(members=five.members, majority="unanimous", quorum="fixed", quorum_count=3)
    assert outcome(unanimous, {"a", "b", "c"}, set(), {"a": "accept", "b": "accept", "c": "abstain"}).decision == \
        "accept"
    assert outcome(unanimous, {"a", "b", "c"}, set(), {"a": "accept", "b": "reject"}).decision is None
    assert outcome(unanimous, {"a", "b", "c"}, {"c"}, {"a": "accept", "b": "accept"}).decision is None  # 2 < 3


def test_the_rule_page_refuses_what_cannot_work():
    staff = ["a", "b", "c"]
    assert validate(CommitteeRule(members=("a", "b"), chair="a", deputy="b"), staff) == {}
    assert "members" in validate(CommitteeRule(), staff)
    assert "members" in validate(CommitteeRule(members=("a", "x")), staff)
    assert "chair" in validate(CommitteeRule(members=("a",), chair="b"), staff)
    assert "deputy" in validate(CommitteeRule(members=("a", "b"), chair="a", deputy="a"), staff)
    assert "quorum_count" in validate(CommitteeRule(members=("a", "b"), quorum="fixed", quorum_count=3), staff)
    assert "majority" in validate(CommitteeRule(members=("a",), majority="most"), staff)
    rule = CommitteeRule(members=("a", "b"), member_names=("A", "B"), chair="a", quorum="fixed", quorum_count=2)
    assert CommitteeRule.from_dict(rule.to_dict()) == rule
