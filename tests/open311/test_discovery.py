from .conftest import as_json, as_xml, assert_json_error, assert_xml_error, get


def test_it_describes_the_endpoint_in_discovery(anon, world):
    body = as_json(get(anon, "discovery.json"))
    assert body["endpoints"] == [
        {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "http://testserver/open311/v2/",
            "changeset": body["changeset"],
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }
    ]
    root = as_xml(get(anon, "discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]


def test_it_lists_active_leaf_categories_as_services(anon, world, key):
    world.graffiti.keywords = "涂鸦,小广告"
    world.graffiti.save()
    body = as_json(get(anon, "services.json", api_key=key))
    assert [s["service_code"] for s in body] == ["0101", "0102", "0201"]
    assert body[1] == {
        "service_code": "0102",
        "service_name": "乱涂写",
        "description": "",
        "metadata": False,
        "type": "realtime",
        "keywords": "涂鸦,小广告",
        "group": "市容环境",
    }
    root = as_xml(get(anon, "services.xml", api_key=key))
    assert [s.findtext("service_code") for s in root.findall("service")] == ["0101", "0102", "0201"]
    assert root.find("service[2]/metadata").text == "false"
    assert root.find("service[2]/group").text == "市容环境"


def test_it_gives_a_service_definition_with_no_attributes(anon, world, key):
    assert as_json(get(anon, "services/0101.json", api_key=key)) == {"service_code": "0101", "attributes": []}
    root = as_xml(get(anon, "services/0101.xml", api_key=key))
    assert (root.tag, root.findtext("service_code"), list(root.find("attributes"))) == (
        "service_definition",
        "0101",
        [],
    )


def test_it_answers_an_unknown_or_group_service_with_a_404(anon, world):
    assert_json_error(get(anon, "services/9999.json"), 404)
    assert_json_error(get(anon, "services/01.json"), 404)
    assert_xml_error(get(anon, "services/9999.xml"), 404)


def test_it_refuses_other_methods(anon, world):
    assert anon.post("/open311/v2/services.json").status_code == 405
    assert anon.get("/open311/v2/services.csv").status_code == 404
