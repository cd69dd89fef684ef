"""Policy forms through the real pages: section rows, the approval, a minimum publishable draft."""
from __future__ import annotations

from sila.tenants.policy import services


def rows(prefix: str, items: list, **extra: str) -> dict:
    """A list page's form as the browser posts it (items: rules configs or dicts)."""
    data = {f"{prefix}.count": str(len(items)), **extra}
    for i, item in enumerate(items):
        item = item if isinstance(item, dict) else vars(item)
        data[f"{prefix}.{i}.code"] = item.get("code") or ""
        if item.get("enabled", True):
            data[f"{prefix}.{i}.enabled"] = "1"
        for key in ("label_ar", "label_en", "note", "text_ar", "text_en", "document_id"):
            if item.get(key) is not None:
                data[f"{prefix}.{i}.{key}"] = item[key]
    return data


async def draft_of(client):
    return (await services.load_draft(client.staff.tenant.id)).draft


APPROVAL = {"meeting_number": "161", "hijri_year": "1447", "hijri_month": "3", "hijri_day": "23",
            "decisions": ["approve", "publish_website"], "chair_title": "رئيس مجلس الإدارة", "chair_name": "أحمد"}


async def configure_minimum(client) -> None:
    """Enough for a publishable draft: two channels on, an approval recorded."""
    draft = await draft_of(client)
    for ch in draft.channels:
        ch.enabled = ch.code in ("interview", "phone")
    assert client.post("/portal/policy/channels", rows("channels", draft.channels, action="save")).status_code == 303
    assert client.post("/portal/policy/approval", {**APPROVAL, "action": "save"}).status_code == 303


# A policy none of the seeds resembles (other headings, bullets, worded dates), for the import tests.
NOVEL = """الجمعية الخيرية لرعاية الأيتام بجدة
مسجلة لدى المركز الوطني لتنمية القطاع غير الربحي برقم (٥٤٣)

سياسة تنظيم العلاقة مع المستفيدين

أولاً: المقدمة
تحرص جمعية رعاية الأيتام بجدة على تنظيم علاقتها بالمستفيدين بما يحفظ حقوقهم ويحقق الشفافية في تقديم الخدمات.

ثانياً: الهدف العام
تقديم خدمات نوعية للأيتام وأسرهم بيسر وسهولة.

ثالثاً: الأهداف التفصيلية
• تسهيل وصول المستفيدين إلى الخدمات.
• قياس رضا المستفيدين.
• تطوير قنوات التواصل.

رابعاً: قنوات التواصل مع المستفيدين
• الزيارة الشخصية لمقر الجمعية
• الهاتف المجاني
• البريد الإلكتروني
• تطبيق الجمعية على الجوال

خامساً: الأدوات
• النظام الأساسي للجمعية
• نموذج طلب الدعم

سادساً: إجراءات التعامل مع المستفيد
• استقبال المستفيد والترحيب به.
• التحقق من البيانات والمستندات المقدمة.
• رفع الطلب إلى لجنة البحث للبت فيه خلال عشرة أيام عمل.
• تقديم الخدمة اللازمة.

سابعاً: الاعتماد
اعتمد مجلس الإدارة هذه السياسة في اجتماعه الخامس المنعقد يوم الأربعاء ١٠ صفر ١٤٤٦هـ الموافق ١٤ أغسطس ٢٠٢٤م.
رئيس مجلس الإدارة: م. خالد بن سعيد العمري
"""
