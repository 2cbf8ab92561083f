"""--dse on imported networks: the design it writes is valid IR computing the same function."""

import numpy as np
from torch_mlir import ir

from fpga_sdf import ir as sdf_ir
from fpga_sdf import network
from fpga_sdf.diagnostics import Diagnostics
from fpga_sdf.frontend import zoo
from fpga_sdf.frontend.importer import import_model
from fpga_sdf.interp.executor import execute
from fpga_sdf.pass_registry import lookup


def run_pass(module, name, **options):
    with sdf_ir.context(), ir.Location.unknown():
        diag = Diagnostics()
        lookup(name)(**options).run(module, diag)
        assert not diag.errors
        sdf_ir.verify(module)


def test_dse_cuts_an_imported_network_and_keeps_its_function():
    model, example = zoo.build("tiny_resnet")
    module = import_model(model, example)
    x = np.random.default_rng(0).standard_normal((2, *example.shape[1:])).astype(np.float32)
    before = execute(module, [x])[0]
    # A small slice of a small board: the network has to be cut into partitions.
    run_pass(module, "dse", platform="zedboard", budget=0.12, batch=8)
    assert len(network.partitions(module)) > 1
    text = sdf_ir.to_text(module)
    reparsed = sdf_ir.parse(text, "design.mlir")  # what fpga-opt -o writes parses back
    np.testing.assert_array_equal(execute(reparsed, [x])[0], before)
    # Every layer carries the folding the search chose, and it is legal by construction
    # (the verifier asks the model on every parse).
    for _, op in network.named_layers(reparsed):
        assert "coarse_in" in op.operation.attributes
