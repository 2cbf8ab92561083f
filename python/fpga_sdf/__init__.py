"""fpga-sdf: an MLIR-based compiler for streaming CNN accelerators on FPGAs.

The Python API (`compile`, `Design`, `run_pass`, `parse`, `to_text`) lives in
`fpga_sdf.api`; the names are loaded on first use so that `import fpga_sdf` stays cheap.
"""

_API = ("compile", "Design", "run_pass", "parse", "to_text")
__all__ = list(_API)


def __getattr__(name: str):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'fpga_sdf' has no attribute '{name}'")
