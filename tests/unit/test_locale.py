"""The locale texts are translated in: a request's, read when each text is rendered."""

from asalee_track import i18n


def test_a_request_locale_is_read_when_a_text_is_rendered() -> None:
    chosen = ["fr"]
    i18n.follow_locale(lambda: chosen[0])
    try:
        assert i18n.gettext("Missing value") == "Valeur manquante"
        chosen[0] = "en"  # the user's own preference, known once signed in
        assert i18n.gettext("Missing value") == "Missing value"
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)
