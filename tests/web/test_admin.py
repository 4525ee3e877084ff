"""The audit log page: admins only, filtered, scoped to the practice."""

from bs4 import BeautifulSoup


def test_nurse_cannot_read_the_audit_log(as_nurse) -> None:
    assert as_nurse.get("/admin/audit").status_code == 403


def test_admin_sees_events_of_the_practice_filtered_by_action(as_admin, make_patient, world) -> None:
    mine = make_patient()
    make_patient(world.actor(world.other_nurse, world.other_practice))
    soup = BeautifulSoup(as_admin.get("/admin/audit?action=create").text, "html.parser")
    rows = soup.select("table.audit tbody tr")
    assert len(rows) == 1
    assert mine.id in rows[0].text


def test_security_headers_are_sent(as_admin) -> None:
    response = as_admin.get("/admin/audit")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
