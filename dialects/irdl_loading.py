"""Loading a Python-defined (IRDL) dialect so each operand keeps its own constraint.

`ext.Dialect.load` runs CSE over the IRDL definition, which merges identical constraints
into one IRDL variable; IRDL binds a variable to one type per op, so an op's input and
output tensors (or streams) would then have to be equal. This loads the definition as
emitted, otherwise doing what `ext.Dialect.load` does.
"""

from torch_mlir import ir
from torch_mlir.dialects import irdl
from torch_mlir.dialects.ext import _cext


def load_without_cse(dialect) -> None:
    dialect._mlir_module = dialect._emit_module()
    irdl.load_dialects(dialect._mlir_module)
    for op in dialect.operations:
        op._attach_traits()
    _cext.globals._register_dialect_impl(dialect.DIALECT_NAMESPACE, dialect, replace=True)
    for type_ in dialect.types:
        _cext.register_type_caster(ir.DynamicType.lookup_typeid(type_.type_name), replace=True)(type_)
    for attr in dialect.attributes:
        _cext.register_type_caster(ir.DynamicAttr.lookup_typeid(attr.attr_name), replace=True)(attr)
    for op in dialect.operations:
        _cext.register_operation(dialect, replace=True)(op)
        _cext.register_op_adaptor(op, replace=True)(op.Adaptor)
