"""Survey pages: answering by personal link (public, phone first), and for the charity the
surveys, their settings, campaigns with a live progress bar, and the results with charts."""
from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath

from sila.platform import i18n
from sila.platform.auth import requires_staff, requires_tenant_site
from sila.platform.downloads import content_disposition
from sila.platform.tenancy import tenant_of
from sila.platform.web import FormErrors, redirect, render
from sila.platform.ratelimit import public_form_limit
from sila.platform import charts
from sila.tenants.surveys import forms, results, services
from sila.platform.actors import actor_of
from sila.platform.roles import Role

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
NO_STORE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
LINK_PROBLEMS = {"unknown": (404, i18n.N_("This link does not work. Check that you opened the whole link from your message.")),
                 "answered": (410, i18n.N_("This survey was already answered with this link. Thank you!")),
                 "expired": (410, i18n.N_("This link has expired."))}


class PublicSurveyRoutes(Controller):
    """The personal link. Not cached, and no referrer leaves the page: the token is in the URL."""

    path = "/s"
    guards = [requires_tenant_site]

    async def _problem(self, request: Request, reason: str) -> Any:
        status, message = LINK_PROBLEMS[reason]
        return await render(request, "surveys/link_problem.html", status_code=status, message=message,
                            reason=reason)

    async def _page(self, request: Request, opened: services.Opened, token: str, *, form: dict[str, str],
                    errors: FormErrors, status: int = 200) -> Any:
        if "sila_lang" not in request.cookies:  # the language the person chose for their messages
            i18n.set_language(opened.invitation.language)
        response = await render(request, "surveys/answer.html", status_code=status, survey=opened.survey,
                                token=token, form=form, errors=errors)
        response.headers.update(NO_STORE)
        return response

    @get("/{token:str}", name="survey_answer_form")
    async def form(self, request: Request, token: FromPath[str]) -> Any:
        try:
            opened = await services.open_link(tenant_of(request).id, token)
        except services.LinkProblem as exc:
            return await self._problem(request, exc.reason)
        return await self._page(request, opened, token, form={}, errors=FormErrors())

    @post("/{token:str}", name="survey_answer", guards=[public_form_limit("survey")])
    async def answer(self, request: Request, token: FromPath[str], data: FormData) -> Any:
        tenant = tenant_of(request)
        try:
            opened = await services.open_link(tenant.id, token)
            answers, typed, errors = forms.read_answers(opened.survey.questions, data)
            if errors:
                return await self._page(request, opened, token, form=typed, errors=errors, status=400)
            await services.submit_answers(tenant, token, answers, bool(typed["anonymous"]))
        except services.LinkProblem as exc:
            return await self._problem(request, exc.reason)
        if "sila_lang" not in request.cookies:
            i18n.set_language(opened.invitation.language)
        return await render(request, "surveys/thanks.html")


def _filters(request: Request) -> tuple[results.Filters, dict[str, str]]:
    q = request.query_params
    typed = {k: q.get(k, "") for k in ("period_from", "period_to", "service", "channel")}
    return results.Filters(period_from=forms.day_or_none(typed["period_from"]), period_to=forms.day_or_none(typed["period_to"]),
                           service=typed["service"], channel=typed["channel"]), typed


class SurveyRoutes(Controller):
    path = "/portal/surveys"
    guards = [requires_staff(Role.admin)]

    async def _overview(self, request: Request, *, settings_form: dict[str, str] | None = None,
                        settings_errors: FormErrors | None = None, campaign_form: dict[str, str] | None = None,
                        campaign_errors: FormErrors | None = None, status: int = 200) -> Any:
        data = await services.overview(tenant_of(request).id)
        return await render(request, "surveys/overview.html", status_code=status, **vars(data),
                            settings_form=settings_form or forms.settings_as_form(data.settings),
                            settings_errors=settings_errors or FormErrors(), campaign_form=campaign_form or {},
                            campaign_errors=campaign_errors or FormErrors(), campaign_status=services.CAMPAIGN_STATUS,
                            done=request.query_params.get("done", ""))

    @get("/", name="surveys")
    async def overview(self, request: Request) -> Any:
        return await self._overview(request)

    @post("/settings", name="surveys_settings")
    async def settings(self, request: Request, data: FormData) -> Any:
        values, typed, errors = forms.read_settings(data)
        if errors:
            return await self._overview(request, settings_form=typed, settings_errors=errors, status=400)
        await services.save_settings(tenant_of(request).id, values, await actor_of(request))
        return redirect("/portal/surveys?done=settings")

    @post("/new", name="surveys_new")
    async def new(self, request: Request) -> Any:
        sid = await services.create_survey(tenant_of(request).id, await actor_of(request))
        return redirect(f"/portal/surveys/{sid}/edit")

    async def _editor(self, request: Request, survey_id: str, *, form: dict[str, Any] | None = None,
                      errors: FormErrors | None = None, status: int = 200) -> Any:
        survey = await services.get_survey_in_tenant(tenant_of(request).id, survey_id)
        return await render(request, "surveys/edit.html", status_code=status, survey=survey,
                            form=form or forms.survey_as_form(survey), errors=errors or FormErrors(),
                            qtypes=services.QTYPES, done=request.query_params.get("done", ""))

    @get("/{survey_id:str}/edit", name="survey_edit")
    async def edit(self, request: Request, survey_id: FromPath[str]) -> Any:
        return await self._editor(request, survey_id)

    @post("/{survey_id:str}/edit", name="survey_save")
    async def save(self, request: Request, survey_id: FromPath[str], data: FormData) -> Any:
        survey_in, typed, errors = forms.read_survey(data)
        if errors:
            return await self._editor(request, survey_id, form=typed, errors=errors, status=400)
        await services.save_survey(tenant_of(request).id, survey_id, survey_in, await actor_of(request))
        return redirect(f"/portal/surveys/{survey_id}/edit?done=1")

    @get("/{survey_id:str}/results", name="survey_results")
    async def results(self, request: Request, survey_id: FromPath[str]) -> Any:
        f, typed = _filters(request)
        lang = i18n.get_language()
        data = await results.results(tenant_of(request).id, survey_id, f, lang)
        one = lambda v: f"{v:.1f}"  # noqa: E731
        whole = lambda v: f"{v:.0f}"  # noqa: E731
        chart = {
            "months": charts.columns(data["months"], top=5, lang=lang, title=i18n.gettext("Average rating by month")),
            "services": charts.bars(data["services"], top=5, lang=lang, fmt=one,
                                    title=i18n.gettext("Average rating by service")),
            "channels": charts.bars(data["channels"], top=5, lang=lang, fmt=one,
                                    title=i18n.gettext("Average rating by channel")),
            "staff": charts.bars(data["staff"], top=5, lang=lang, fmt=one,
                                 title=i18n.gettext("Average rating by member of staff")) if data["staff"] else None,
        }
        for q in data["questions"]:
            if "points" in q:
                top = max([p[1] for p in q["points"]] + [1])
                q["chart"] = charts.bars(q["points"], top=top, lang=lang, fmt=whole, title=q["text"])
        return await render(request, "surveys/results.html", **data, chart=chart, filters=typed,
                            survey_id=survey_id)

    @get("/{survey_id:str}/results.csv", name="survey_results_csv")
    async def results_csv(self, request: Request, survey_id: FromPath[str]) -> Response:
        f, _ = _filters(request)
        text = await results.csv_export(tenant_of(request).id, survey_id, f, i18n.get_language())
        return Response(content=text.encode(), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": content_disposition("survey-results.csv", "attachment"),
            "Cache-Control": "private, no-store"})

    # --- campaigns --------------------------------------------------------------------------

    @post("/campaigns", name="survey_campaign_start")
    async def campaign_start(self, request: Request, data: FormData) -> Any:
        values, typed, errors = forms.read_campaign(data)
        if not errors:
            cid = await services.start_campaign(tenant_of(request).id, values["survey"], values["name"],
                                                values["service_type"], values["period_from"],
                                                values["period_to"], await actor_of(request))
            if cid is not None:
                return redirect(f"/portal/surveys/campaigns/{cid}")
            errors.add("survey", "Choose a survey.")
        return await self._overview(request, campaign_form=typed, campaign_errors=errors, status=400)

    async def _campaign(self, request: Request, campaign_id: str) -> services.Campaign:
        return await services.campaign_progress(tenant_of(request).id, campaign_id)

    @get("/campaigns/{campaign_id:str}", name="survey_campaign")
    async def campaign(self, request: Request, campaign_id: FromPath[str]) -> Any:
        return await render(request, "surveys/campaign.html", c=await self._campaign(request, campaign_id))

    @get("/campaigns/{campaign_id:str}/progress", name="survey_campaign_progress")
    async def campaign_progress(self, request: Request, campaign_id: FromPath[str]) -> Any:
        """htmx: the progress panel, polled while the campaign runs."""
        return await render(request, "surveys/_progress.html", c=await self._campaign(request, campaign_id))

    @post("/campaigns/{campaign_id:str}/pause", name="survey_campaign_pause")
    async def campaign_pause(self, request: Request, campaign_id: FromPath[str]) -> Any:
        return await self._set(request, campaign_id, "paused")

    @post("/campaigns/{campaign_id:str}/resume", name="survey_campaign_resume")
    async def campaign_resume(self, request: Request, campaign_id: FromPath[str]) -> Any:
        return await self._set(request, campaign_id, "running")

    async def _set(self, request: Request, campaign_id: str, status: str) -> Any:
        await services.set_campaign_status(tenant_of(request).id, campaign_id, status, await actor_of(request))
        if request.headers.get("hx-request"):
            return await render(request, "surveys/_progress.html", c=await self._campaign(request, campaign_id))
        return redirect(f"/portal/surveys/campaigns/{campaign_id}")


HANDLERS = [PublicSurveyRoutes, SurveyRoutes]
