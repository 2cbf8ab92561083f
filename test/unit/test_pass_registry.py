"""The pass registry: discovery, option parsing, and the plug-in entry point."""

from dataclasses import dataclass, field

import pytest

from fpga_sdf.diagnostics import UserError
from fpga_sdf.pass_registry import Pass, load_all, lookup, register


@dataclass(frozen=True)
class Example(Pass):
    """An example pass with one option of each type."""

    name = "test-example"
    count: int = 1
    ratio: float = 0.5
    flag: bool = False
    label: str = "x"
    limit: int = field(default=3, metadata={"help": "a limit"})

    def run(self, module, diag):
        pass


def test_builtin_passes_are_discovered():
    registry = load_all()
    assert registry["sdf-verify"].summary().startswith("Check sdf IR")


def test_plugin_pass_comes_through_its_entry_point():
    # examples/sdf-macs-plugin is installed by the README's test command.
    cls = lookup("sdf-annotate-macs")
    assert cls is not None
    assert cls.__module__ == "sdf_macs_plugin.annotate_macs"


def test_options_are_typed():
    p = Example.from_options("count=4 ratio=0.25 flag=true label='two words' limit=7")
    assert (p.count, p.ratio, p.flag, p.label, p.limit) == (4, 0.25, True, "two words", 7)
    assert Example.from_options("") == Example()


def test_dashes_in_option_names_map_to_fields():
    assert Example.from_options("count=2").count == 2


@pytest.mark.parametrize("text, message", [
    ("nope=1", "unknown option 'nope'"),
    ("count=four", "option 'count' expects int, got 'four'"),
    ("flag=maybe", "option 'flag' expects bool, got 'maybe'"),
    ("count", "option 'count' needs a value"),
    ("label='open", "cannot read options"),
])
def test_bad_options_are_user_errors(text, message):
    with pytest.raises(UserError, match=message):
        Example.from_options(text)


def test_names_are_unique():
    register(Example)
    assert lookup("test-example") is Example

    @dataclass(frozen=True)
    class Impostor(Pass):
        name = "test-example"

    with pytest.raises(TypeError, match="taken by"):
        register(Impostor)
