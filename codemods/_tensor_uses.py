"""What a class does with a tensor attribute, one read or write at a time, in named terms.

The tensor rule (``register_tensors``) needs evidence that registration matters before it claims a
bug. Every read of ``self.X`` is classified by what happens to its value: moved to where it is
needed, read for its metadata, used as an index, met by other tensors in a computation, handed to
another object, or passed where modfix cannot see. Every write outside ``__init__`` is an update
(from its own value or in place), a refresh (moved or cast onto itself), or a replacement (a new
value). The walk goes up from the ``self.X`` node through what keeps its value (``.view()``,
``.float()``, ``[:n]``, ``* 2``, a local alias) until something decides.
"""
from __future__ import annotations

import ast
import dataclasses
import enum
from dataclasses import dataclass

from ._facts import Names, parent_of, self_name
from ._tensors import NDIM_KEEPING_METHODS, is_scalar
from ._torch_tables import TENSOR_METHODS


# the detail of a METADATA access that states the tensor is not learned (`.requires_grad = False`)
NOT_LEARNED = "requires_grad set to False"


class AccessKind(enum.Enum):
    MOVED = "moved to where it is used"
    METADATA = "read for its shape, dtype, device or truth value"
    SCALAR = "read one element at a time"
    INDEX = "used as an index"
    COMPUTE = "met by other values in a computation"
    HANDED = "handed to another object that keeps it"
    UNKNOWN = "passed where modfix cannot see"
    LEARN = "initialised for learning"
    UPDATE = "updated from its own value or in place"
    REFRESH = "moved or cast onto itself"
    CAST = "cast onto itself"
    REPLACE = "given a new value"


@dataclass(frozen=True)
class Access:
    """One read or write: what it is, where (the node that decided), and a few words for messages."""

    kind: AccessKind
    node: ast.AST
    detail: str = ""
    shape_may_change: bool = False  # an update by concatenation, slicing, or a call
    raises_on_parameter: bool = False  # an in-place write autograd refuses on a leaf that requires grad
    through_data: bool = False  # reached through `.data`: autograd does not see it
    reshaped: bool = False  # the value's dimensions changed on the way (a scalar unsqueezed is no scalar)
    partners: frozenset[str] = frozenset()  # other plain attributes of the module it meets on the way
    # every computation the value reaches through locals (the strongest access is only one of them)
    computations: tuple[ast.AST, ...] = ()


# Tensor methods that give a tensor derived from the one they are called on (same values, another
# shape, dtype, or a reduction over dims): they keep the question open, whatever their arguments.
# Checked against torch.Tensor by tests/test_torch_facts.py.
DERIVING_METHODS = frozenset({
    "view", "view_as", "reshape", "reshape_as", "unsqueeze", "squeeze", "flatten", "unflatten", "t", "transpose",
    "permute", "expand", "expand_as", "repeat", "repeat_interleave", "contiguous", "clone", "detach", "narrow",
    "select", "chunk", "split", "unbind", "flip", "roll", "tril", "triu", "diag", "diagonal", "movedim",
    "float", "double", "half", "bfloat16", "long", "int", "bool", "short", "byte", "char", "type",
    "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "cumsum", "cumprod", "softmax",
    "log_softmax", "norm", "abs", "neg", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "sigmoid", "tanh",
    "reciprocal", "sign", "floor", "ceil", "round", "logical_not", "nonzero", "unique", "sort", "argsort",
    "any", "all", "square", "relu", "pow", "clamp", "clip",
})
# torch functions whose result may have other dimensions than their tensor argument (the elementwise
# rest keep them)
DIMENSION_CHANGING = frozenset({
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack", "reshape",
    "unsqueeze", "squeeze", "flatten", "unflatten", "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax",
    "argmin", "outer", "matmul", "mm", "bmm", "einsum", "atleast_1d", "atleast_2d", "atleast_3d", "diag", "tensordot",
    "kron", "broadcast_to", "meshgrid", "cartesian_prod", "nonzero", "masked_select", "unique", "tile",
    "repeat_interleave", "std", "var", "norm", "logsumexp", "median", "mode", "count_nonzero", "all", "any",
})
# in-place methods that change the shape, not the values, and those that overwrite every value
RESHAPING_IN_PLACE = frozenset({"unsqueeze_", "squeeze_", "transpose_", "t_", "resize_", "resize_as_", "as_strided_",
                                "swapdims_", "swapaxes_"})
# the in-place random fills that initialise weights (their nn.init counterparts are uniform_ and normal_)
RANDOM_INIT_METHODS = frozenset({"uniform_", "normal_"})
OVERWRITING_IN_PLACE = frozenset({"copy_", "fill_", "zero_", "set_"})
# methods that read what the tensor is, not its values in a computation
METADATA_METHODS = frozenset({
    "size", "dim", "ndimension", "numel", "nelement", "element_size", "item", "tolist", "numpy", "get_device",
    "is_contiguous", "data_ptr", "stride", "storage_offset", "is_floating_point", "is_complex", "__len__", "cpu",
})
METADATA_ATTRIBUTES = frozenset({"shape", "dtype", "device", "ndim", "is_cuda", "is_sparse", "layout", "requires_grad",
                                 "grad_fn", "is_leaf", "itemsize", "nbytes"})
VALUE_ATTRIBUTES = frozenset({"data", "T", "mT", "H", "mH", "real", "imag"})
# methods that move a tensor to another tensor's device (``.type_as(x)``) or to a device
MOVE_METHODS = frozenset({"to", "cuda", "type_as"})
CAST_METHODS = frozenset({"float", "double", "half", "bfloat16", "long", "int", "bool", "short", "byte", "char"})
# keyword arguments of torch functions that take tensors (positional arguments always may)
_TENSOR_KEYWORDS = frozenset({"input", "other", "weight", "bias", "mask", "index", "src", "tensor", "tensors",
                              "mat1", "mat2", "vec", "target", "condition"})
_METADATA_BUILTINS = frozenset({"len", "int", "float", "bool", "str", "repr", "print", "isinstance", "hasattr",
                                "id", "type", "format", "hash", "callable", "getattr"})
_DTYPE_NAMES = frozenset({
    "float", "float32", "float64", "double", "half", "float16", "bfloat16", "long", "int", "int64", "int32", "int16",
    "int8", "uint8", "short", "bool", "complex64", "complex128", "cfloat", "cdouble", "float8_e4m3fn", "float8_e5m2",
})
FORWARD_LIKE = frozenset({"forward", "__call__"})
OUTPUT = "the output"  # the detail of a value returned by forward
# factories that make a tensor from sizes or Python values (not from other tensors): on the default
# device unless given one
_FRESH_FACTORIES = frozenset({"zeros", "ones", "full", "empty", "rand", "randn", "randint", "randperm", "arange",
                              "linspace", "logspace", "eye", "tensor", "as_tensor", "scalar_tensor", "tril_indices",
                              "triu_indices"})
_CONCATENATING = frozenset({"cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "column_stack"})


def is_dtype(node: ast.expr, names: Names) -> bool:
    """``torch.float32``, ``x.dtype``, ``dtype``: an argument that names a dtype, not a device."""
    if isinstance(node, ast.Attribute):
        if node.attr == "dtype":
            return True
        qualname = names.qualname(node)
        return bool(qualname) and qualname.startswith("torch.") and qualname.split(".")[-1] in _DTYPE_NAMES
    return isinstance(node, ast.Name) and (node.id == "dtype" or node.id.endswith("_dtype"))


def is_self_attribute(node: ast.AST, attr: str, self_name: str) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == attr and isinstance(node.value, ast.Name)
            and node.value.id == self_name)


class UseClassifier:
    """Classifies reads and writes of tensor attributes inside one file (names resolved by its imports)."""

    def __init__(self, names: Names, is_module_call, local_bindings, callers=lambda method: (),
                 plain_attribute=lambda expr, method: False):
        self.names = names
        self._is_module_call = is_module_call  # (call, method) -> does it call a submodule?
        # (expr, method) -> is it another plain attribute of the module (no submodule, no Parameter)?
        self._plain_attribute = plain_attribute
        self._local_bindings = local_bindings
        self._local_partners: dict[ast.AST, dict[str, frozenset[str]]] = {}  # method -> local -> attributes
        self._plain_memo: dict[tuple, bool] = {}
        self._callers = callers  # method -> [(the call `self.method(...)`, the method it is in, runtime)]

    # -- reads

    def read(self, node: ast.AST, method: ast.FunctionDef, runtime: bool, ndim: int | None,
             forward_like: bool, _depth: int = 0, attr: str | None = None) -> Access:
        """What the code does with the value ``node`` (``self.X`` or something that carries its value):
        each step up the tree either decides or hands on the node that now carries the value."""
        if attr is None and isinstance(node, ast.Attribute):
            attr = node.attr
        walk = _Walk(method, runtime, ndim, forward_like, _depth, attr=attr, self_name=(self_name(method) or "self"))
        while True:
            parent = parent_of(node)
            step = self._STEPS.get(type(parent), UseClassifier._other)(self, node, parent, walk)
            if isinstance(step, Access):
                if step.kind in _WRITES and not walk.same_object:
                    return Access(AccessKind.UNKNOWN, step.node)  # written into a copy, not the attribute
                if step.kind is AccessKind.COMPUTE:
                    walk.partners |= self._computed_from_attributes(step.node, node, walk.method)
                return dataclasses.replace(step, reshaped=walk.reshaped, through_data=walk.through_data,
                                           partners=step.partners | frozenset(walk.partners))
            node = step

    def _through_attribute(self, node, parent: ast.Attribute, walk: "_Walk"):
        decided = self._attribute(parent, walk)
        if decided is not None:
            return decided
        grand = parent_of(parent)
        if isinstance(grand, ast.Call) and grand.func is parent:
            walk.same_object = False  # .float(), .view(...): another tensor from now on
            if parent.attr not in NDIM_KEEPING_METHODS:
                walk.ndim = None
                walk.reshaped = True
            return grand
        walk.through_data |= parent.attr == "data"
        return parent  # .data, .T

    def _through_subscript(self, node, parent: ast.Subscript, walk: "_Walk"):
        if parent.value is not node:
            return Access(AccessKind.INDEX, parent)
        if not isinstance(parent.ctx, ast.Load):
            statement = parent_of(parent)
            whole = isinstance(parent.slice, ast.Slice) and not (parent.slice.lower or parent.slice.upper) or (
                isinstance(parent.slice, ast.Constant) and parent.slice.value is Ellipsis)
            value = getattr(statement, "value", None)
            if whole and value is not None and not self._reads_state(value, walk):
                return Access(AccessKind.REPLACE, parent, "overwritten in place with a new value")
            return Access(AccessKind.UPDATE, parent, "an item assignment")
        if is_scalar(parent.slice, walk.method):  # `t[0]`, `t[epoch]` with `epoch: int`
            if walk.ndim == 1:
                return Access(AccessKind.SCALAR, parent)  # one element: a 0-dim value, fine on any device
            if walk.ndim is None:
                return Access(AccessKind.UNKNOWN, parent)  # one element or one row: modfix cannot tell
            walk.ndim -= 1
            walk.reshaped = True
        else:
            walk.ndim = None
            walk.reshaped = True
        return parent

    def _through_keyword(self, node, parent: ast.keyword, walk: "_Walk"):
        return self._argument(node, parent_of(parent), walk)

    def _through_call(self, node, parent: ast.Call, walk: "_Walk"):
        if parent.func is node:
            return Access(AccessKind.UNKNOWN, parent)
        return self._argument(node, parent, walk)

    def _through_starred(self, node, parent: ast.Starred, walk: "_Walk"):
        return parent

    def _through_collection(self, node, parent, walk: "_Walk"):
        unpacked = _unpacked_into(node, parent)
        if unpacked is not None:
            return self._alias(unpacked, parent_of(parent), walk)
        if isinstance(parent, ast.Dict) and node not in parent.values:
            return Access(AccessKind.UNKNOWN, parent)  # a tensor as a dict key
        elements = parent.values if isinstance(parent, ast.Dict) else parent.elts
        holder = parent_of(parent)
        named = parent.keys if isinstance(parent, ast.Dict) else elements
        if isinstance(holder, (ast.Return, ast.Yield)) and any(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in named):
            # `yield "values", self._values`: handed out by name, for its owner to register
            return Access(AccessKind.HANDED, holder, f"the caller of {walk.method.name}(), by name")
        others = [e for e in elements if e is not node and not isinstance(e, ast.Constant)]
        if others and isinstance(holder, ast.Call) and self._is_torch_call(holder) and not all(
                self._with_plain_state(e, walk.method) for e in others):
            return Access(AccessKind.COMPUTE, holder, self._call_text(holder))  # torch.cat([self.t, x])
        walk.same_object = False
        return parent

    def _through_binop(self, node, parent: ast.BinOp, walk: "_Walk"):
        other = parent.right if parent.left is node else parent.left
        if self._plain_attribute(other, walk.method):
            walk.partners.add(other.attr)  # they meet here, wherever the result goes
        if _is_number(other) or self._fresh(other) or self._plain_attribute(other, walk.method):
            walk.same_object = False
            return parent
        return Access(AccessKind.COMPUTE, parent, f"`{_OPERATORS.get(type(parent.op).__name__, 'an operator')}`")

    def _through_unaryop(self, node, parent: ast.UnaryOp, walk: "_Walk"):
        if isinstance(parent.op, ast.Not):
            return Access(AccessKind.METADATA, parent)
        walk.same_object = False
        return parent

    def _through_compare(self, node, parent: ast.Compare, walk: "_Walk"):
        if all(isinstance(op, (ast.Is, ast.IsNot)) for op in parent.ops):
            return Access(AccessKind.METADATA, parent)
        if all(o is node or _is_number(o) for o in [parent.left] + parent.comparators):
            walk.same_object = False
            return parent  # `self.mask == 0`: a bool tensor on the same device
        return Access(AccessKind.COMPUTE, parent, "a comparison")

    def _through_test(self, node, parent, walk: "_Walk"):
        if isinstance(parent, (ast.If, ast.While, ast.IfExp)) and parent.test is not node:
            return parent  # a branch of `a if c else b`: the value goes on
        return Access(AccessKind.METADATA, parent)  # its truth value

    def _through_return(self, node, parent, walk: "_Walk"):
        if walk.runtime and walk.forward_like:
            return Access(AccessKind.COMPUTE, parent, OUTPUT)
        if isinstance(parent, ast.Return) and walk.depth < 3:
            # a helper of the class returns it: what its callers in the class do with the result decides
            found = [self.read(call, caller, runtime, None, caller.name in FORWARD_LIKE, walk.depth + 1)
                     for call, caller, runtime in self._callers(walk.method)]
            if found:
                return strongest(found)
        return Access(AccessKind.UNKNOWN, parent)

    def _through_assignment(self, node, parent, walk: "_Walk"):
        if isinstance(parent, ast.AugAssign) and parent.target is node:
            return Access(AccessKind.UPDATE, parent, "an augmented assignment")
        if parent.value is not node:
            return Access(AccessKind.UNKNOWN, parent)
        return self._stored(parent, walk)

    def _through_format(self, node, parent, walk: "_Walk"):
        return Access(AccessKind.METADATA, parent)

    def _other(self, node, parent, walk: "_Walk"):
        return Access(AccessKind.UNKNOWN, parent if parent is not None else node)

    _STEPS = {
        ast.Attribute: _through_attribute, ast.Subscript: _through_subscript, ast.keyword: _through_keyword,
        ast.Call: _through_call, ast.Starred: _through_starred, ast.List: _through_collection,
        ast.Tuple: _through_collection, ast.Set: _through_collection, ast.Dict: _through_collection,
        ast.BinOp: _through_binop, ast.UnaryOp: _through_unaryop, ast.Compare: _through_compare,
        ast.BoolOp: _through_test, ast.Assert: _through_test, ast.If: _through_test, ast.While: _through_test,
        ast.IfExp: _through_test, ast.Return: _through_return, ast.Yield: _through_return,
        ast.YieldFrom: _through_return, ast.Assign: _through_assignment, ast.AnnAssign: _through_assignment,
        ast.AugAssign: _through_assignment, ast.FormattedValue: _through_format,
    }

    def _attribute(self, parent: ast.Attribute, walk: "_Walk") -> Access | None:
        """``<value>.name`` or ``<value>.name(...)``; None when the result still carries the value."""
        grand = parent_of(parent)
        name = parent.attr
        if isinstance(grand, ast.Call) and grand.func is parent:
            return self._method(name, grand, walk)
        if not isinstance(parent.ctx, ast.Load):
            if name == "requires_grad":
                if _assigns_true(parent):
                    return Access(AccessKind.LEARN, parent, ".requires_grad = ...")
                grand = parent_of(parent)
                frozen = isinstance(grand, ast.Assign) and isinstance(grand.value, ast.Constant) and grand.value.value is False
                return Access(AccessKind.METADATA, parent, NOT_LEARNED if frozen else "")
            if name == "data" and isinstance(grand, ast.Assign) and walk.attr:
                return self.write(walk.attr, grand.value, grand, walk.method)  # `self.t.data = ...`: as `self.t = ...`
            return Access(AccessKind.UPDATE, parent, f"an assignment to .{name}")
        if name in METADATA_ATTRIBUTES:
            return Access(AccessKind.METADATA, parent)
        if name in VALUE_ATTRIBUTES:
            return None
        return Access(AccessKind.UNKNOWN, parent)

    def _method(self, name: str, call: ast.Call, walk: "_Walk") -> Access | None:
        """``<value>.name(...)``; None when the result still carries the value."""
        if name == "requires_grad_":
            flag = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "requires_grad"), None)
            if flag is None or (isinstance(flag, ast.Constant) and flag.value is True):
                return Access(AccessKind.LEARN, call, ".requires_grad_()")
            frozen = isinstance(flag, ast.Constant) and flag.value is False
            return Access(AccessKind.METADATA, call, NOT_LEARNED if frozen else "")
        if name in MOVE_METHODS:
            arguments = list(call.args) + [k.value for k in call.keywords if k.arg in (None, "device", "other")]
            if name in ("cuda", "type_as") or any(not is_dtype(a, self.names) for a in arguments):
                return Access(AccessKind.MOVED, call, f".{name}()")
            return None  # .to(torch.float32): a cast, the value goes on
        if name in METADATA_METHODS:
            return Access(AccessKind.METADATA, call)
        if name in RESHAPING_IN_PLACE:
            return Access(AccessKind.CAST, call, f".{name}()", shape_may_change=True)  # a reshape is not an update
        if name in RANDOM_INIT_METHODS and not walk.runtime and walk.same_object:
            # `self.weight.data.uniform_(-stdv, stdv)` while the module is built: a weight initialised for
            # learning, as nn.init.uniform_ would (which is what the .data form predates)
            return Access(AccessKind.LEARN, call, f".{'data.' if walk.through_data else ''}{name}()",
                          raises_on_parameter=not walk.through_data)
        if name in OVERWRITING_IN_PLACE and not any(self._reads_state(a, walk) for a in call.args):
            return Access(AccessKind.REPLACE, call, f"overwritten in place (.{name}()) with a new value")
        if name.endswith("_") and not name.startswith("_"):
            return Access(AccessKind.UPDATE, call, f".{name}()")
        if name in DERIVING_METHODS:
            return None
        if name in TENSOR_METHODS:
            if call.args or any(k.arg in _TENSOR_KEYWORDS for k in call.keywords):
                return Access(AccessKind.COMPUTE, call, f".{name}()")
            return None
        return Access(AccessKind.UNKNOWN, call)

    def _argument(self, node, call: ast.Call, walk: "_Walk") -> Access | ast.AST:
        """The value is an argument of ``call``: what the callee does with it."""
        method = walk.method
        qualname = self.names.qualname(call.func) or self._transformed_torch_function(call)
        short = qualname.rsplit(".", 1)[-1]
        if qualname.startswith(("torch.nn.init.", "torch.nn.modules.init.")):
            return Access(AccessKind.LEARN, call, f"{qualname.replace('torch.nn.', 'nn.')}()")
        if qualname.startswith("torch.optim."):
            return Access(AccessKind.HANDED, call, f"the optimizer {short}")
        if qualname.startswith("torch.distributed."):
            return Access(AccessKind.HANDED, call, f"{qualname}(), which manages its placement")
        if qualname in ("torch.nn.Parameter", "torch.nn.parameter.Parameter"):
            return Access(AccessKind.HANDED, call, "nn.Parameter()")
        if qualname.startswith("builtins."):
            return Access(AccessKind.METADATA if short in _METADATA_BUILTINS else AccessKind.UNKNOWN, call)
        if qualname.startswith("torch.ops."):
            return Access(AccessKind.UNKNOWN, call)  # a custom kernel: where it expects its inputs is its own affair
        if qualname.startswith("torch."):
            if short in ("tensor", "as_tensor") or short.endswith("_like"):
                if any(k.arg == "device" for k in call.keywords):
                    return Access(AccessKind.MOVED, call, f"torch.{short}(..., device=...)")
                if not short.endswith("_like"):
                    return Access(AccessKind.UNKNOWN, call)
            elif self._meets_others(node, call, method):
                return Access(AccessKind.COMPUTE, call, self._call_text(call))
            walk.partners.update(a.attr for a in call.args if a is not node and self._plain_attribute(a, method))
            walk.same_object = False
            if short in DIMENSION_CHANGING:
                walk.ndim = None  # torch.tan(t) keeps the dimensions, torch.cat([...]) does not
                walk.reshaped = True
            return call  # torch.sin(self.t), torch.zeros_like(self.t): a tensor on the same device
        if isinstance(call.func, ast.Attribute):
            if call.func.attr == "new_tensor":
                return Access(AccessKind.MOVED, call, ".new_tensor()")
            if self._is_module_call(call, method):
                return Access(AccessKind.COMPUTE, call, f"{ast.unparse(call.func)}()")
            if call.func.attr in TENSOR_METHODS and not qualname:
                return Access(AccessKind.COMPUTE, call, f".{call.func.attr}()")
        elif self._is_module_call(call, method):
            return Access(AccessKind.COMPUTE, call, f"{ast.unparse(call.func)}()")
        if short[:1].isupper():
            return Access(AccessKind.HANDED, call, f"{short}(), which keeps it")
        return Access(AccessKind.UNKNOWN, call)

    def _stored(self, statement, walk: "_Walk") -> Access:
        method = walk.method
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        if len(targets) != 1:
            return Access(AccessKind.UNKNOWN, statement)
        target = targets[0]
        if isinstance(target, ast.Attribute):
            if isinstance(target.value, ast.Name) and target.value.id == (self_name(method) or "self"):
                return Access(AccessKind.UNKNOWN, statement)  # kept under another name: followed no further
            return Access(AccessKind.HANDED, statement, f"`{ast.unparse(target)}`")
        if not isinstance(target, ast.Name):
            return Access(AccessKind.UNKNOWN, statement)
        return self._alias(target, statement, walk)

    def _alias(self, target: ast.Name, statement, walk: "_Walk") -> Access:
        """A local that holds the value: what happens to it decides (its strongest access)."""
        method = walk.method
        if walk.depth >= 3:
            return Access(AccessKind.UNKNOWN, statement)
        found = []
        for other in ast.walk(method):
            if (isinstance(other, ast.Name) and other.id == target.id and isinstance(other.ctx, ast.Load)
                    and (other.lineno, other.col_offset) > (statement.lineno, statement.col_offset)):
                access = self.read(other, method, walk.runtime, walk.ndim, walk.forward_like, walk.depth + 1,
                                   attr=walk.attr)
                if access.kind in _WRITES and not walk.same_object:
                    access = Access(AccessKind.UNKNOWN, access.node)
                found.append(access)
        if len(self._local_bindings(method).get(target.id, [])) != 1:
            found.append(Access(AccessKind.UNKNOWN, statement))
        if not found:
            return Access(AccessKind.METADATA, statement)
        return strongest(found)

    # -- writes outside __init__

    def write(self, attr: str, value: ast.expr | None, statement: ast.stmt, method: ast.FunctionDef) -> Access:
        """``self.X = value`` outside construction: an update, a refresh, or a new value."""
        me = self_name(method) or "self"
        if value is None or is_scalar(value, method):
            return Access(AccessKind.REPLACE, statement, "a new value")  # None, or a Python number
        if not any(is_self_attribute(n, attr, me) for n in value_nodes(value, self.names)):
            return Access(AccessKind.REPLACE, statement, "a new value")
        kind = self._refresh_kind(value, attr, me)
        if kind is not None:
            return Access(kind, statement, "moved onto itself" if kind is AccessKind.REFRESH else "cast onto itself")
        # arithmetic and torch's elementwise functions keep the shape; concatenation, slicing and
        # functions modfix cannot see may not
        top = (self.names.qualname(value.func) or "") if isinstance(value, ast.Call) else ""
        shape_may_change = not isinstance(value, (ast.BinOp, ast.UnaryOp, ast.Call)) or isinstance(value, ast.Call) and (
            not top.startswith("torch.") or top.rsplit(".", 1)[-1] in _CONCATENATING)
        return Access(AccessKind.UPDATE, statement, "a new value computed from its own", shape_may_change)

    def _refresh_kind(self, value: ast.expr, attr: str, self_name: str) -> AccessKind | None:
        """``self.t.to(x.device)``, ``self.t.float()``, ``helper(self.t, x)``: REFRESH (a device may
        change), CAST (only the dtype or shape), or None (a computation)."""
        moved = False
        while True:
            if is_self_attribute(value, attr, self_name):
                return AccessKind.REFRESH if moved else AccessKind.CAST
            if isinstance(value, ast.Attribute) and value.attr == "data":
                value = value.value
                continue
            if isinstance(value, ast.IfExp):
                kinds = {self._refresh_kind(v, attr, self_name) for v in (value.body, value.orelse)}
                if None in kinds:
                    return None
                return AccessKind.REFRESH if AccessKind.REFRESH in kinds or moved else AccessKind.CAST
            if not isinstance(value, ast.Call):
                return None
            func = value.func
            if isinstance(func, ast.Attribute) and not self.names.qualname(func):
                if func.attr in MOVE_METHODS:
                    arguments = list(value.args) + [k.value for k in value.keywords if k.arg != "dtype"]
                    moved = moved or func.attr != "to" or any(not is_dtype(a, self.names) for a in arguments)
                elif func.attr not in CAST_METHODS and func.attr not in DERIVING_METHODS - {"sum", "mean", "prod"}:
                    return None
                value = func.value
                continue
            qualname = self.names.qualname(func) or ""
            if qualname.startswith(("torch.", "builtins.")):
                return None
            # a helper of the project given the tensor (``to_device(self.t, x)``): it places the tensor
            inner = [a for a in value.args if any(is_self_attribute(n, attr, self_name) for n in ast.walk(a))]
            if len(inner) != 1:
                return None
            moved = True
            value = inner[0]

    # -- helpers

    def _reads_state(self, value: ast.AST, walk: "_Walk") -> bool:
        """Does an in-place overwrite's new value come from the module's state (``self.avg / n``, an
        EMA's result) rather than from the call's inputs alone (a cache of the last batch)? Reads of
        shapes and calls of submodules aside."""
        for node in value_nodes(value, self.names):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id == walk.self_name
                    and not (isinstance(parent_of(node), ast.Call) and parent_of(node).func is node)):
                return True
        return False

    def _meets_others(self, node: ast.AST, call: ast.Call, method) -> bool:
        """Does the call combine the value with the module's inputs or parameters? Numbers, tensors made
        on the spot and other plain attributes of the module are where this one is."""
        others = [a for a in call.args if a is not node]
        others += [k.value for k in call.keywords if k.arg in _TENSOR_KEYWORDS and k.value is not node]
        return any(not _is_number(a) and not isinstance(a, ast.Constant) and not self._with_plain_state(a, method)
                   for a in others)

    def _computed_from_attributes(self, computation: ast.AST, carrier: ast.AST, method) -> set[str]:
        """The plain attributes that the other values of a computation live with, through the locals
        of the method: ``w = op(self.weight); F.linear(x, w, self.bias)`` meets ``self.weight`` (what
        is computed from a tensor lives where it does)."""
        found: set[str] = set()
        locals_with = self._locals_living_with(method)
        for child in ast.iter_child_nodes(computation):
            if child is not carrier:
                attrs, names = self._lives_with(child, method)
                found |= attrs
                for name in names:
                    found |= locals_with.get(name, frozenset())
        return found

    def _lives_with(self, expr: ast.AST, method) -> tuple[set[str], set[str]]:
        """The plain attributes and the locals whose device the value of ``expr`` follows: not what is
        only read for its shape, dtype or a Python value (``n = self.t.shape[0]``, ``len(self.t)``,
        ``self.t.item()``), nor what is moved elsewhere (``self.t.to(x.device)``, ``.cpu()``); but
        ``x.to(self.t.device)`` and ``torch.zeros_like(self.t)`` live with ``self.t``."""
        attrs: set[str] = set()
        names: set[str] = set()
        pending = [expr]
        while pending:
            node = pending.pop()
            if isinstance(node, ast.Attribute):
                if node.attr == "device":
                    pending.append(node.value)  # `device=self.t.device`: made where self.t is
                elif node.attr not in METADATA_ATTRIBUTES:
                    if self._is_plain_attribute(node, method):
                        attrs.add(node.attr)
                    else:
                        pending.append(node.value)
                continue
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load):
                    names.add(node.id)
                continue
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr in MOVE_METHODS:
                    if isinstance(self._method(func.attr, node, None), Access):
                        # moved: it lives where the target does (`.to(self.t.device)`, `.type_as(self.t)`)
                        pending += [a for a in node.args if not is_dtype(a, self.names)]
                        pending += [k.value for k in node.keywords if k.arg in ("device", "other", None)]
                    else:
                        pending.append(func.value)  # `.to(torch.float32)`: a cast stays where it is
                    continue
                if isinstance(func, ast.Attribute) and func.attr in METADATA_METHODS:
                    continue  # `.item()`, `.size()`, `.cpu()`: a Python value, or a tensor on the CPU
                if (self.names.qualname(func) or "").removeprefix("builtins.") in _METADATA_BUILTINS:
                    continue  # `len(self.t)`, `float(self.t)`
            if isinstance(node, ast.Subscript):
                pending.append(node.value)  # an index may stay on the CPU whatever device it indexes
                continue
            pending += ast.iter_child_nodes(node)
        return attrs, names

    def _locals_living_with(self, method) -> dict[str, frozenset[str]]:
        """For each local of the method, the plain attributes its values live with (every binding
        counted, through other locals), computed once per method."""
        known = self._local_partners.get(method)
        if known is not None:
            return known
        direct: dict[str, set[str]] = {}
        through: dict[str, set[str]] = {}
        for name, bindings in self._local_bindings(method).items():
            for binding in bindings:
                for value in _bound_values(binding):
                    attrs, names = self._lives_with(value, method)
                    direct.setdefault(name, set()).update(attrs)
                    through.setdefault(name, set()).update(names - {name})
        # through other locals: what a local learns goes on to the locals computed from it, each time
        # it learns something (a chain h1 = h0 * 2; h2 = h1 * 2 ... is one pass, not one per link)
        users: dict[str, set[str]] = {}
        for name, others in through.items():
            for other in others:
                users.setdefault(other, set()).add(name)
        pending = [name for name, attrs in direct.items() if attrs]
        while pending:
            source = pending.pop()
            for user in users.get(source, ()):
                if not direct[source] <= direct[user]:
                    direct[user] |= direct[source]
                    pending.append(user)
        result = {name: frozenset(attrs) for name, attrs in direct.items() if attrs}
        self._local_partners[method] = result
        return result

    def _is_plain_attribute(self, node: ast.Attribute, method) -> bool:
        key = (method, node.attr, getattr(node.value, "id", None))
        known = self._plain_memo.get(key)
        if known is None:
            known = self._plain_memo[key] = bool(self._plain_attribute(node, method))
        return known

    def _with_plain_state(self, expr: ast.AST, method: ast.FunctionDef, depth: int = 0) -> bool:
        """Does the value live where this tensor lives, whatever model.to() does? Another plain attribute
        (``self._neg_Y``), a tensor made on the spot on the default device, or one made on the device of a
        plain attribute (``torch.arange(m, device=self._neg_Y.device)``), through the methods called on it
        and a local bound once to it."""
        while isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and not self._is_torch_call(expr):
            expr = expr.func.value  # `.repeat(n).view(...)`: the same tensor's values
        if isinstance(expr, ast.Name) and depth < 4:
            sites = self._local_bindings(method).get(expr.id, [])
            return (len(sites) == 1 and isinstance(sites[0], ast.Assign) and len(sites[0].targets) == 1
                    and self._with_plain_state(sites[0].value, method, depth + 1))
        if self._plain_attribute(expr, method) or self._fresh(expr):
            return True
        device = next((k.value for k in getattr(expr, "keywords", ()) if k.arg == "device"), None)
        return (isinstance(expr, ast.Call) and self._is_torch_call(expr) and isinstance(device, ast.Attribute)
                and device.attr == "device" and self._plain_attribute(device.value, method))

    def _fresh(self, expr: ast.AST) -> bool:
        """``torch.ones(shape)``: a tensor made on the spot without a device, on the default device just
        like this one; meeting it is not meeting the module's inputs or parameters."""
        if not isinstance(expr, ast.Call) or any(k.arg == "device" for k in expr.keywords):
            return False
        qualname = self.names.qualname(expr.func) or ""
        return qualname.startswith("torch.") and qualname.rsplit(".", 1)[-1] in _FRESH_FACTORIES

    def _transformed_torch_function(self, call: ast.Call) -> str:
        """``torch.vmap(torch.dot)(a, b)``: a torch function made by a torch transform is a torch function."""
        if isinstance(call.func, ast.Call) and call.func.args:
            transform = self.names.qualname(call.func.func) or ""
            inner = self.names.qualname(call.func.args[0]) or ""
            if transform.startswith("torch.") and inner.startswith("torch."):
                return inner
        return ""

    def _is_torch_call(self, call: ast.Call) -> bool:
        qualname = self.names.qualname(call.func) or ""
        return qualname.startswith("torch.")

    def _call_text(self, call: ast.Call) -> str:
        qualname = self.names.qualname(call.func) or ""
        if qualname.startswith("torch.nn.functional."):
            return f"F.{qualname.rsplit('.', 1)[-1]}()"
        if qualname.startswith("torch."):
            return f"{qualname}()"
        return f"{ast.unparse(call.func)}()"



@dataclass
class _Walk:
    """The question followed up the tree from one read."""

    method: ast.FunctionDef
    runtime: bool
    ndim: int | None  # of the value, as far as the code shows
    forward_like: bool
    depth: int
    same_object: bool = True  # the value is still the attribute's own tensor (an in-place write updates it)
    attr: str | None = None  # the attribute followed, when the walk started at `self.<attr>`
    self_name: str = "self"
    reshaped: bool = False
    partners: set[str] = dataclasses.field(default_factory=set)
    through_data: bool = False  # `self.t.data...`: what follows bypasses autograd


def _bound_values(binding: ast.AST) -> list[ast.AST]:
    """What a local is bound to by one of its bindings (``w = ...``, ``w, k = ...``, ``w += ...``,
    ``(w := ...)``, ``for w in ...``, ``with ... as w``, what a nested ``def w()`` returns); nothing
    for a parameter or an import."""
    while isinstance(binding, (ast.Tuple, ast.List, ast.Starred)):
        binding = parent_of(binding)
    if isinstance(binding, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
        return [binding.value] if binding.value is not None else []
    if isinstance(binding, (ast.For, ast.AsyncFor, ast.comprehension)):
        return [binding.iter]
    if isinstance(binding, ast.withitem):
        return [binding.context_expr]
    if isinstance(binding, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [n.value for n in ast.walk(binding) if isinstance(n, (ast.Return, ast.Yield)) and n.value is not None]
    return []


def _unpacked_into(node: ast.AST, parent: ast.AST) -> ast.Name | None:
    """``a, b = self.x[0], self.x[1]``: the local that the element ``node`` is unpacked into."""
    statement = parent_of(parent)
    if not (isinstance(parent, ast.Tuple) and isinstance(statement, ast.Assign) and statement.value is parent
            and len(statement.targets) == 1 and isinstance(statement.targets[0], (ast.Tuple, ast.List))):
        return None
    targets = statement.targets[0].elts
    if len(targets) != len(parent.elts) or any(isinstance(e, ast.Starred) for e in parent.elts):
        return None
    target = targets[parent.elts.index(node)]
    return target if isinstance(target, ast.Name) else None


_WRITES = frozenset({AccessKind.UPDATE, AccessKind.REPLACE, AccessKind.CAST})
_STRENGTH = (AccessKind.HANDED, AccessKind.LEARN, AccessKind.UPDATE, AccessKind.COMPUTE, AccessKind.UNKNOWN,
             AccessKind.INDEX, AccessKind.MOVED, AccessKind.SCALAR, AccessKind.METADATA)


def strongest(accesses: list[Access]) -> Access:
    """The access that says most about the value (handed off or learned, then computed with, ...),
    carrying every computation any of them reaches."""
    computations = tuple(n for a in accesses for n in ((a.node,) if a.kind is AccessKind.COMPUTE else ())
                         + a.computations)
    best = min(accesses, key=lambda a: _STRENGTH.index(a.kind) if a.kind in _STRENGTH else len(_STRENGTH))
    return dataclasses.replace(best, computations=computations,
                               partners=frozenset().union(*(a.partners for a in accesses)))


def value_nodes(value: ast.expr, names: Names) -> list[ast.AST]:
    """The nodes whose values flow into ``value``: not those only read for their shape, dtype or
    device (``torch.zeros_like(self.t)``, ``self.t.shape``)."""
    found, stack = [], [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call):
            callee = names.qualname(node.func) or ""
            if callee.endswith("_like") or (isinstance(node.func, ast.Attribute) and node.func.attr in _SHAPE_ONLY):
                stack.extend(node.args[1:] if callee.endswith("_like") else node.args)
                stack.extend(k.value for k in node.keywords)
                continue
        if isinstance(node, ast.Attribute) and node.attr in _SHAPE_ONLY:
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


_SHAPE_ONLY = frozenset({"shape", "dtype", "device", "size", "ndim", "numel", "dim", "new_zeros", "new_ones",
                         "new_empty", "new_full", "new_tensor"})
_OPERATORS = {"Add": "+", "Sub": "-", "Mult": "*", "Div": "/", "MatMult": "@", "FloorDiv": "//", "Mod": "%",
              "Pow": "**", "BitAnd": "&", "BitOr": "|", "BitXor": "^", "LShift": "<<", "RShift": ">>"}


def _is_number(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float, complex)) and not isinstance(
        node.value, bool)


def _assigns_true(target: ast.Attribute) -> bool:
    statement = parent_of(target)
    return (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
            and statement.value.value is True)



