def test_smoke(console, sign_in):
    admin = sign_in("admin")
    for url in ["/admin/", "/admin/businesses", "/admin/staff", "/admin/audit", "/admin/simulator"]:
        r = admin.get(url)
        assert r.status_code == 200, (url, r.text)
