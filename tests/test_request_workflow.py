"""The request workflow, pure: for policies with and without each optional step."""
from __future__ import annotations

import itertools

import pytest

from sila.platform.roles import Role
from sila.tenants.policy.seeds import seed_organisations
from sila.tenants.requests.workflow import (
    STAGES,
    TransitionError,
    Workflow,
)

ALL = ["receive", "verify", "refer", "attest", "committee", "register", "deliver"]
OPTIONAL = ["verify", "refer", "attest", "committee", "register"]
ROLES = {"verify": Role.relations_officer, "skip_referral": Role.relations_officer, "report": Role.social_researcher, "refer": Role.relations_officer, "attest": Role.relations_officer,
         "accept": Role.committee_member, "register": Role.relations_officer}


def walk(wf: Workflow, satisfied=()) -> list[str]:
    """The stages a request passes through on its happy path (with a referral)."""
    stage, seen = wf.first_stage(satisfied), []
    while stage != "closed":
        seen.append(stage)
        if stage == "refer":
            stage = wf.transition(stage, "refer", [Role.relations_officer])
            seen.append(stage)
            stage = wf.transition(stage, "report", [Role.social_researcher], satisfied)
        elif stage == "deliver":
            stage = wf.transition(stage, "record_service", [Role.relations_officer])
            stage = wf.transition(stage, "close", [Role.relations_officer])
        else:
            action = {"verify": "verify", "attest": "attest", "committee": "accept", "register": "register"}[stage]
            stage = wf.transition(stage, action, [ROLES[action]], satisfied, in_session=action == "accept")
    return seen


def test_full_policy_walks_every_step_in_order():
    wf = Workflow.from_steps(ALL)
    assert walk(wf) == ["verify", "refer", "research", "attest", "committee", "register", "deliver"]


@pytest.mark.parametrize("missing", OPTIONAL)
def test_a_policy_without_one_optional_step_never_visits_it(missing):
    wf = Workflow.from_steps([s for s in ALL if s != missing])
    stages = walk(wf)
    assert missing not in stages
    assert stages[-1] == "deliver"
    if missing == "refer":
        assert "research" not in stages


@pytest.mark.parametrize("subset", [c for n in range(len(OPTIONAL) + 1) for c in itertools.combinations(OPTIONAL, n)])
def test_every_combination_of_optional_steps_reaches_delivery(subset):
    wf = Workflow.from_steps(["receive", *subset, "deliver"])
    stages = walk(wf)
    assert [s for s in stages if s in OPTIONAL] == list(subset)
    assert set(stages) <= set(STAGES)


def test_the_haramain_seed_has_no_committee_and_its_officer_decides_at_registration():
    haramain = next(o for o in seed_organisations() if o.slug == "haramain")
    wf = Workflow.from_steps(haramain.draft.enabled_steps())
    assert not wf.has_committee and wf.decision_stage == "register"
    assert "committee" not in walk(wf)
    assert wf.transition("register", "reject", [Role.relations_officer]) == "rejected"
    with pytest.raises(TransitionError):
        wf.transition("register", "accept", [Role.committee_member])


def test_with_a_committee_only_the_committee_decides():
    wf = Workflow.from_steps(ALL)
    assert wf.decision_stage == "committee"
    assert wf.transition("committee", "reject", [Role.committee_member], in_session=True) == "rejected"
    with pytest.raises(TransitionError) as err:
        wf.transition("committee", "reject", [Role.relations_officer], in_session=True)
    assert err.value.kind == "role"
    with pytest.raises(TransitionError) as err:
        wf.transition("register", "reject", [Role.relations_officer, Role.committee_member])
    assert err.value.kind == "state"


def test_an_online_request_arrives_attested_and_skips_the_attest_stage():
    wf = Workflow.from_steps(ALL)
    stages = walk(wf, satisfied={"attest"})
    assert "attest" not in stages and "committee" in stages


def test_attestation_is_moved_before_the_committee_when_a_policy_lists_it_after():
    wf = Workflow.from_steps(["receive", "verify", "committee", "attest", "register", "deliver"])
    assert wf.steps.index("attest") < wf.steps.index("committee")


def test_receive_and_deliver_frame_any_order_and_unknown_steps_are_ignored():
    wf = Workflow.from_steps(["register", "deliver", "bogus", "receive", "verify", "verify"])
    assert wf.steps == ("receive", "register", "verify", "deliver")


@pytest.mark.parametrize("stage", ["verify", "incomplete"])
def test_incomplete_loops_back_until_verified(stage):
    wf = Workflow.from_steps(ALL)
    assert wf.transition(stage, "mark_incomplete", [Role.relations_officer]) == "incomplete"
    assert wf.transition(stage, "verify", [Role.relations_officer]) == "refer"


def test_skipping_the_referral_goes_straight_on():
    wf = Workflow.from_steps(ALL)
    assert wf.transition("refer", "skip_referral", [Role.relations_officer]) == "attest"


def test_wrong_state_is_refused_for_every_action_outside_its_sources():
    wf = Workflow.from_steps(ALL)
    everyone = [Role.relations_officer, Role.social_researcher, Role.committee_member, Role.admin]
    for stage in STAGES:
        allowed = set(wf.available(stage, everyone)) | {  # and what a committee session may do there
            c for c in ("accept", "reject") if wf.action(c).in_session and stage in wf.action(c).sources}
        for code in ["verify", "mark_incomplete", "refer", "skip_referral", "report", "attest", "accept", "reject",
                     "register", "record_service", "close"]:
            if code in allowed:
                continue
            with pytest.raises(TransitionError) as err:
                wf.transition(stage, code, everyone, in_session=True)
            assert err.value.kind == "state", (stage, code)


def test_wrong_role_is_refused_and_admin_is_not_a_wildcard():
    wf = Workflow.from_steps(ALL)
    for stage, code, role in [("verify", "verify", Role.social_researcher), ("research", "report", Role.relations_officer),
                              ("committee", "accept", Role.relations_officer), ("verify", "verify", Role.admin),
                              ("committee", "accept", Role.admin), ("deliver", "close", Role.committee_member)]:
        with pytest.raises(TransitionError) as err:
            wf.transition(stage, code, [role])
        assert err.value.kind == "role"


def test_actions_of_a_step_the_policy_lacks_are_refused():
    wf = Workflow.from_steps([s for s in ALL if s != "refer"])
    with pytest.raises(TransitionError):
        wf.transition("verify", "refer", [Role.relations_officer])
    assert "refer" not in wf.available("refer", [Role.relations_officer])


def test_available_actions_per_role():
    wf = Workflow.from_steps(ALL)
    assert wf.available("verify", [Role.relations_officer]) == ["verify", "mark_incomplete"]
    assert wf.available("research", [Role.social_researcher]) == ["report"]
    assert wf.available("committee", [Role.committee_member]) == []  # the committee decides in a session
    assert wf.available("committee", [Role.relations_officer]) == []
    assert wf.available("closed", [Role.relations_officer, Role.committee_member, Role.social_researcher]) == []


@pytest.mark.parametrize("code", ["accept", "reject"])
def test_a_committee_decision_outside_a_session_is_refused_even_to_a_member(code):
    wf = Workflow.from_steps(ALL)
    with pytest.raises(TransitionError) as err:
        wf.transition("committee", code, [Role.committee_member])
    assert err.value.kind == "role"
    assert code not in wf.available("committee", [Role.committee_member, Role.relations_officer, Role.admin])
    assert wf.transition("committee", code, [Role.committee_member], in_session=True) in ("register", "rejected")
