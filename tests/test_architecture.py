"""The import graph (docs/architecture.md): apps import downward only, and no module imports itself
back through another (no cycles), counting imports inside functions too."""

import grimp
import pytest

APPS = ("config", "accounts", "integrations", "rotations", "webhooks", "notifications", "outgoing", "ops")


# One xdist worker runs the whole file: the module-scoped fixture is built once.
pytestmark = pytest.mark.xdist_group("test_architecture")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph(*APPS)


def test_no_module_of_roster_is_part_of_an_import_cycle(graph):
    ours = [m for m in graph.modules if m.startswith(APPS) and ".migrations" not in m]
    cycles = sorted(
        f"{a} -> {b}"
        for a in ours
        for b in graph.find_modules_directly_imported_by(a)
        if b in ours and b != a and graph.chain_exists(importer=b, imported=a)
    )
    assert cycles == []


@pytest.mark.parametrize(
    ("lower", "upper"),
    [
        ("accounts", "integrations"),
        ("accounts", "rotations"),
        ("accounts", "webhooks"),
        ("integrations", "rotations"),
        ("integrations", "webhooks"),
        ("rotations", "webhooks"),
        ("webhooks", "rotations"),
        ("rotations", "notifications"),
        ("webhooks", "notifications"),
        ("integrations", "notifications"),
        ("accounts", "notifications"),
        ("notifications", "outgoing"),
        ("rotations", "outgoing"),
        ("webhooks", "outgoing"),
    ],
)
def test_an_app_never_imports_an_app_above_it(graph, lower, upper):
    assert not graph.chain_exists(importer=lower, imported=upper, as_packages=True)
