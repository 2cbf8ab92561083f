"""The emission-time structural check (backend/hls/structure.py): every pipelined loop's
array accesses fit the banks and ports the emitted pragmas give, so II=1 is reachable; the
weights banks are the ones the resource model costs; a banking regression fails here."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from fpga_sdf import ir as sdf_ir
from fpga_sdf.backend.hls import structure, weights_memory
from fpga_sdf.backend.hls.emit import emit
from fpga_sdf.diagnostics import Diagnostics, UserError
from fpga_sdf.model import expand
from fpga_sdf.model.resources import weights_packed
from fpga_sdf.pass_registry import lookup


@lru_cache(maxsize=None)
def _digits_text(folding: str) -> str:
    from fpga_sdf.frontend import digits
    from fpga_sdf.frontend.importer import import_model

    model, x = digits.build()
    module = import_model(model, x)
    with sdf_ir.context():
        for flag, options in (("sdf-quantize", ""), ("sdf-fold", folding))[:2 if folding else 1]:
            diag = Diagnostics()
            lookup(flag).from_options(options).run(module, diag)
            assert not diag.errors
    return sdf_ir.to_text(module)


def _module(folding: str):
    return sdf_ir.parse(_digits_text(folding), "digits.mlir")


UNROLLED = "coarse_in=max coarse_out=max fine=max"


def test_every_loop_reaches_ii_1_and_is_reported_per_layer():
    project = emit(_module(UNROLLED))
    report = project.structure
    assert {"features.0", "features.3", "classifier.2"} <= set(report)
    assert all(c.ii == 1 for checks in report.values() for c in checks)
    text = project.files["structure.txt"]
    assert "features.3: features_3_weights_memory/weights_memory_loop" in text and "II 1" in text


def test_old_rom_banking_is_caught():
    """The banking the issue found (a flat ROM, cyclic factor=FINE, read by every MAC unit at
    once): 16 x 32 units x 9 taps of features.3 from 9 banks."""
    pragma = "#pragma HLS ARRAY_PARTITION variable=w cyclic factor=9 dim=1\n"
    banks, per_bank = structure.per_bank_accesses(pragma, "w", (4608,), (16 * 32 * 9,))
    assert banks == 9 and per_bank == 512


def test_a_banking_regression_fails_emission(monkeypatch):
    """A weights_memory whose banks lose their partition pragma is refused at the layer."""
    real = weights_memory.generate

    def broken(ctx, module):
        real(ctx, module)
        proc = ctx.layer.processes[-1]
        proc.pragmas = re.sub(r"#pragma HLS ARRAY_(PARTITION|RESHAPE) variable=\S+ complete dim=1\n", "",
                              proc.pragmas)

    monkeypatch.setattr(weights_memory, "generate", broken)
    with pytest.raises(UserError) as err:
        emit(_module(UNROLLED))
    message = str(err.value)
    assert "internal: the emitted banking misses II=1" in message
    assert "features.3: features_3_weights_memory" in message


def test_weights_banks_are_the_ones_the_model_costs():
    """Banked (one memory per MAC unit) or packed (one wide memory) exactly as
    fpga_sdf.model.resources.weights_packed decides for the model's memory."""
    from fpga_sdf import network

    for folding in ("", UNROLLED):
        module = _module(folding)
        project = emit(module)
        (part,) = project.partitions
        specs = {name: network.layer_spec(name, op) for name, op in network.named_layers(module)}
        for layer in part.layers:
            procs = [p for p in layer.processes if p.kind == "weights_memory"]
            if not procs:
                continue
            (model,) = [m for m in expand(specs[layer.name]) if m.name == "weights_memory"]
            memory = model.memories[0]
            packed = weights_packed(memory, model.instances, False)
            kind = "RESHAPE" if packed else "PARTITION"
            assert f"#pragma HLS ARRAY_{kind} variable=ns_{layer.cname}::weights complete dim=1" in procs[0].pragmas
            assert f"[{model.instances}][{memory.depth}][{specs[layer.name].fine}]" in "\n".join(layer.decls)
