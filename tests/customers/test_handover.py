"""Contact handover and thank-you cards as services: the vCard's lines (escaping, folding,
CRLF), the business card PDF, personal thank-you cards with tracked one-time codes in each
customer's language (Latin, Armenian, Cyrillic read back with pdftotext) and the customer of the
month PNG, refused without the customer's consent to be named in public."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from tests.customers.test_printing import flat, pdf_pages, pdf_text
from wateja.core.errors import ValidationFailed
from wateja.customers import handover
from wateja.customers.models import Channel
from wateja.customers.services import consent_record, customer_create
from wateja.orders.checkout import (
    SaleInput,
    checkout_commit,
    checkout_evaluate,
    checkout_reserve,
)
from wateja.promotions.models import PromoCode
from wateja.promotions.services import promotion_save, promotion_set_status
from wateja.promotions.thank_you import (
    thank_you_batch_figures,
    thank_you_cards_print,
    thank_you_offers,
)
from wateja.tenants.models import AuditEvent
from wateja.tenants.services import business_update

pytestmark = pytest.mark.django_db


def _unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")  # every line ends with CRLF, no bare LF
    raw = text[:-2].split("\r\n")
    assert all(len(line.encode()) <= 75 for line in raw)
    lines: list[str] = []
    for line in raw:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


@pytest.fixture
def shop(business):
    return business_update(
        business=business, name="Kahawa; Chai, & Co", support_phone="+254712345678",
        support_email="help@kahawa.example", address="Moi Avenue 12\nNairobi",
    )  # fmt: skip


def test_the_vcard_holds_the_contacts_escaped_with_crlf(shop) -> None:
    text = handover.vcard(shop, url="https://wateja.example/join/kahawa/")
    lines = _unfold(text)
    assert lines[0] == "BEGIN:VCARD" and lines[1] == "VERSION:3.0" and lines[-1] == "END:VCARD"
    assert r"FN:Kahawa\; Chai\, & Co" in lines
    assert r"ORG:Kahawa\; Chai\, & Co" in lines
    assert "TEL;TYPE=WORK,VOICE:+254712345678" in lines
    assert "EMAIL;TYPE=INTERNET,WORK:help@kahawa.example" in lines
    assert r"ADR;TYPE=WORK:;;Moi Avenue 12\nNairobi;;;;" in lines
    assert "URL:https://wateja.example/join/kahawa/" in lines


def test_a_long_armenian_name_is_folded_between_characters(business) -> None:
    business_update(business=business, name="Երևանի սրճարան " * 6)
    text = handover.vcard(business)
    assert any(line.startswith(" ") for line in text.split("\r\n"))  # folded
    lines = _unfold(text)  # each piece valid UTF-8 and at most 75 octets
    assert f"FN:{business.name.strip()}" in lines
    assert not any(line.startswith(("TEL", "EMAIL", "URL", "ADR")) for line in lines)


def test_the_business_card_prints_the_contacts(shop) -> None:
    card = handover.business_card_pdf(shop, handover.vcard(shop))
    text = flat(pdf_text(card))
    assert "Kahawa; Chai, & Co" in text
    assert "+254 712 345678" in text and "help@kahawa.example" in text
    assert pdf_pages(card) == 1
    sheet = handover.business_card_pdf(shop, handover.vcard(shop), sheet=True)
    assert pdf_text(sheet).count("help@kahawa.example") == 10


@pytest.fixture
def gift(business):
    promotion = promotion_save(
        business=business, name="Gift 10%", type="percent_off_order",
        params={"percent_bp": 1000}, requires_code=True,
    )  # fmt: skip
    return promotion_set_status(promotion=promotion, status="active")


def test_thank_you_cards_speak_each_customers_language_with_a_code_each(business, gift) -> None:
    ani = customer_create(business=business, name="Անի Պետրոսյան", phone="+37491123456",
                          language="hy")  # fmt: skip
    olga = customer_create(business=business, name="Ольга Смирнова", phone="+254711000222",
                           language="ru")  # fmt: skip
    amina = customer_create(business=business, name="Amina Wanjiru", phone="+254711000333",
                            language="sw")  # fmt: skip

    printed = thank_you_cards_print(business=business, customers=[ani, olga, amina], promotion=gift)

    assert pdf_pages(printed.pdf) == 3
    pages = pdf_text(printed.pdf).split("\f")
    assert "Անի" in pages[0] and "Ольга" in pages[1] and "Amina" in pages[2]
    with translation.override("ru"):
        assert gettext("Thank you, %(name)s!") % {"name": "Ольга"} in flat(pages[1])
    codes = PromoCode.objects.filter(business=business, batch=printed.batch).order_by("pk")
    assert [(c.issued_to, c.kind, c.max_uses) for c in codes] == [
        (ani, "single", 1), (olga, "single", 1), (amina, "single", 1)
    ]  # fmt: skip
    for customer, page in zip([ani, olga, amina], pages, strict=False):
        assert printed.codes[customer.pk] in page
    assert thank_you_batch_figures(business)[0]["issued"] == 3
    assert thank_you_batch_figures(business)[0]["used"] == 0
    assert AuditEvent.objects.get(action="print.thank_you_cards").details["cards"] == 3


def test_a_card_without_an_offer_issues_no_code_and_keeps_the_note(business) -> None:
    customer = customer_create(business=business, name="Baraka Otieno", phone="+254711000444")
    printed = thank_you_cards_print(
        business=business, customers=[customer], note="Asante kwa kuja kila Jumamosi!"
    )
    assert printed.codes == {} and not PromoCode.objects.exists()
    assert "Asante kwa kuja kila Jumamosi!" in flat(pdf_text(printed.pdf))


def test_only_an_active_offer_that_takes_codes_may_give_the_code(business, gift) -> None:
    automatic = promotion_save(business=business, name="Auto", type="percent_off_order",
                               params={"percent_bp": 500})  # fmt: skip
    promotion_set_status(promotion=automatic, status="active")
    assert list(thank_you_offers(business)) == [gift]
    customer = customer_create(business=business, name="Baraka Otieno", phone="+254711000444")
    with pytest.raises(ValidationFailed) as caught:
        thank_you_cards_print(business=business, customers=[customer], promotion=automatic)
    assert "promotion" in caught.value.details["fields"]
    automatic.refresh_from_db()
    assert not automatic.requires_code  # printing never turned it into a code-only offer
    with pytest.raises(ValidationFailed):
        thank_you_cards_print(business=business, customers=[])


def test_the_customer_of_the_month_needs_consent_to_be_named(business) -> None:
    customer = customer_create(business=business, name="Ованес Туманян", phone="+254711000555")
    with pytest.raises(handover.NoPublicConsent):
        handover.customer_of_month_png(business=business, customer=customer)
    consent_record(customer=customer, channel=Channel.PUBLIC, granted=True, text="in person")

    png = handover.customer_of_month_png(business=business, customer=customer)

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == handover.PNG_SIZE
    consent_record(customer=customer, channel=Channel.PUBLIC, granted=False)
    with pytest.raises(handover.NoPublicConsent):
        handover.customer_of_month_png(business=business, customer=customer)


def test_another_business_customer_is_never_pictured(business, other_business) -> None:
    stranger = customer_create(business=other_business, name="Նարե", phone="+37491000111")
    consent_record(customer=stranger, channel=Channel.PUBLIC, granted=True, text="yes")
    with pytest.raises(handover.NoPublicConsent):
        handover.customer_of_month_png(business=business, customer=stranger)


def test_a_printed_code_comes_back_at_the_till_and_is_counted(business, gift) -> None:
    customer = customer_create(business=business, name="Amina Wanjiru", phone="+254711000666")
    other = customer_create(business=business, name="Baraka Otieno", phone="+254711000777")
    printed = thank_you_cards_print(business=business, customers=[customer], promotion=gift)
    code = printed.codes[customer.pk]
    sale = SaleInput(currency="KES", total_minor=50_000, codes=(code,))

    # the code is the customer's own: another customer cannot use it
    foreign = checkout_evaluate(business=business, sale=sale, customer=other)
    assert foreign["discount_minor"] == 0

    checkout_reserve(business=business, key="ty-1", sale=sale, customer=customer)
    checkout_commit(business=business, key="ty-1")

    figures = thank_you_batch_figures(business)
    assert [(row["issued"], row["used"]) for row in figures] == [(1, 1)]
