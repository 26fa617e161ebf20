"""What the analysis knows about an expression that builds a tensor.

A tensor is the result of a torch factory under any alias (``torch.zeros``, ``torch.arange``, ...),
a tensor method on a tensor (``.float()``, ``.view()``, indexing), or arithmetic with a tensor
operand whose other operand is a number, a tensor, or an unknown value that is not a container.
Anything else is not known to be a tensor. Each tensor carries what the fix choice needs: its
dtype family, whether its values are random, whether they are a structured constant that
``__init__`` recreates, and whether it asks for gradients.
"""
from __future__ import annotations

import ast
import weakref
from dataclasses import dataclass, replace

from ._facts import Names, _scope_nodes, class_of, parent_of, set_parents
from ._torch_tables import RANDOM_CALLABLES, TENSOR_METHOD_DTYPES, TORCH_FUNCTIONS

RANDOM_FACTORIES = frozenset({
    "rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal",
    "bernoulli", "multinomial", "poisson",
})
STRUCTURED_FACTORIES = frozenset({"eye", "arange", "linspace", "logspace", "tril", "triu", "range", "tril_indices",
                                  "triu_indices", "hann_window", "hamming_window", "blackman_window",
                                  "bartlett_window", "kaiser_window"})
PLAIN_FACTORIES = frozenset({"zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like"})
LITERAL_FACTORIES = frozenset({"tensor", "as_tensor", "from_numpy", "Tensor", "FloatTensor", "DoubleTensor",
                               "HalfTensor", "LongTensor", "IntTensor", "BoolTensor", "ByteTensor"})
# calls followed into the functions they run: each costs this much of the depth budget of ``Tensors.info``
_CALL_DEPTH_STEP, _CALL_DEPTH_LIMIT = 8, 32
# the legacy typed constructors: `torch.FloatTensor([1.0, 2.0])` is a literal, `torch.FloatTensor(n, m)` storage
LEGACY_CONSTRUCTORS = {"Tensor": "float", "FloatTensor": "float", "DoubleTensor": "float", "HalfTensor": "float",
                       "LongTensor": "int", "IntTensor": "int", "BoolTensor": "int", "ByteTensor": "int"}
INTEGER_DTYPES = frozenset({"long", "int", "int64", "int32", "int16", "int8", "uint8", "short", "bool"})
FLOAT_DTYPES = frozenset({"float", "float32", "float64", "double", "half", "float16", "bfloat16",
                          "complex64", "complex128", "cfloat", "cdouble"})


@dataclass(frozen=True)
class TensorInfo:
    dtype: str  # "int" (bool included), "float", or "unknown"
    random: bool = False
    structured: bool = False  # eye/arange/linspace/tril/literals: __init__ recreates the same values
    plain: bool = False  # zeros/ones/full/empty: how learnable scales and gates start
    requires_grad: bool = False
    source: str = ""  # the factory, for messages
    ndim: int | None = None  # the number of dimensions, when the code fixes it (0: a scalar tensor)
    # torch.tensor(x) of a value the code does not describe (a constructor argument without a default):
    # a hyperparameter more often than not, so possibly a 0-dim tensor
    maybe_scalar: bool = False
    unit: bool = False  # one element whatever its dimensions (torch.zeros(1), torch.tensor([0.5])): it broadcasts
    frozen: bool = False  # `.requires_grad_(False)`, `.detach()`: the code says it is not learned
    partial: bool = False  # computed with values modfix cannot read (`torch.arange(n) + noise`)


def _dtype_of(keyword_value: ast.expr) -> str:
    name = keyword_value.attr if isinstance(keyword_value, ast.Attribute) else getattr(keyword_value, "id", "")
    if name in INTEGER_DTYPES:
        return "int"
    if name in FLOAT_DTYPES:
        return "float"
    return "unknown"


def _number_kind(node: ast.expr) -> str | None:
    """int/float for numeric literals (and unary minus), None otherwise."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return "float" if isinstance(node.value, float) else "int"
    return None


class Tensors:
    """Tensor inference inside one file (names resolved through the file's imports)."""

    def __init__(self, names: Names, locals_of, callee=None, assigned_in=None):
        self.names = names
        self._locals_of = locals_of  # function -> {name: binding nodes}
        # (call, function it is in) -> the function it runs, when the code shows which, and the Tensors of
        # the file that defines it (its names are that file's)
        self._callee = callee
        # (function, attr) -> the statements of the function that set self.<attr> (None: unknown, look)
        self._assigned_in = assigned_in
        self._returns: dict[ast.AST, TensorInfo | None] = {}
        self._fills: dict[tuple, TensorInfo | None] = {}

    def info(self, expr: ast.expr | None, function=None, _depth: int = 0) -> TensorInfo | None:
        if expr is None or _depth > 40:  # a few lines of locals and arithmetic nest this deep
            return None
        if isinstance(expr, ast.Call):
            return self._call(expr, function, _depth)
        if isinstance(expr, ast.Subscript):
            inner = self.info(expr.value, function, _depth + 1)
            if inner is None:
                return None
            # `t[i]` drops a dimension; slices keep them; `t[None]`, tuples and index tensors: unknown
            single = is_scalar(expr.slice, function) and inner.ndim
            return replace(inner, maybe_scalar=False, ndim=inner.ndim - 1 if single else (
                inner.ndim if isinstance(expr.slice, ast.Slice) else None))
        if isinstance(expr, ast.BinOp):
            return self._arithmetic(expr, function, _depth)
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub):
            return self.info(expr.operand, function, _depth + 1)
        if isinstance(expr, ast.Compare) and len(expr.comparators) == 1:
            sides = [self.info(side, function, _depth + 1) for side in (expr.left, expr.comparators[0])]
            known = [side for side in sides if side]
            if known:
                return TensorInfo("int", random=any(side.random for side in known),
                                  structured=all(side.structured for side in known), source="a comparison",
                                  ndim=_broadcast(known))
            return None
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and isinstance(
                function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # `self.betas = torch.linspace(...); self.alphas = 1.0 - self.betas`: what this function set it to
            writes = self._assigned_in(function, expr.attr) if self._assigned_in is not None else None
            if writes is not None and not writes:
                return None
            value = _attribute_number_source(expr, function, writes)
            return self.info(value, function, _depth + 1) if value is not None else None
        if isinstance(expr, ast.Name) and function is not None:
            site = self._binding_before(expr, function)
            if site is not None:
                info = self.info(site.value, function, _depth + 1)
                return self._filled(info, expr.id, function, _depth) if info is not None and info.plain else info
        return None

    def _filled(self, info: TensorInfo, name: str, function, depth: int) -> TensorInfo:
        """``pe = torch.zeros(n, d); pe[:, 0::2] = torch.sin(pos * div)``: a blank tensor whose parts the
        function fills holds what was written. Structured values (functions of ``arange``, numbers such as
        ``math.sin(p / 10000 ** (i / d))`` in a loop) written into parts of it make a structured constant
        that __init__ recreates; anything random (a value, an index, ``.normal_()``, ``nn.init.*``) makes it
        random; anything else (a function it is handed to, another in-place method, one number over all of
        it, which is ``torch.full``) leaves it as it was."""
        key = (id(function), name, info)
        if key in self._fills:
            return self._fills[key] or info  # None: being read (a write that reads the tensor itself)
        self._fills[key] = None
        result = self._read_fills(info, name, function, depth)
        self._fills[key] = result
        return result

    def _read_fills(self, info: TensorInfo, name: str, function, depth: int) -> TensorInfo:
        written, random = [], False
        for node in ast.walk(function):
            if not (isinstance(node, ast.Name) and node.id == name) or isinstance(node.ctx, ast.Store):
                continue
            parent = parent_of(node)
            grand = parent_of(parent)
            if isinstance(parent, ast.Subscript) and parent.value is node and isinstance(parent.ctx, ast.Store):
                if not (isinstance(grand, (ast.Assign, ast.AugAssign)) and parent in (
                        grand.targets if isinstance(grand, ast.Assign) else [grand.target])):
                    return info
                for index in (n for n in ast.walk(parent.slice) if isinstance(n, (ast.Call, ast.Name))):
                    found = self.info(index, function, depth + 1)
                    if found is None and isinstance(index, ast.Call):
                        return info  # an index modfix cannot read
                    random |= bool(found and found.random)  # `conn[:, torch.randperm(d)[:k]] = 1.0`
                whole = _whole(parent.slice)
                written.append((grand.value, whole))
            elif isinstance(parent, ast.Attribute) and isinstance(grand, ast.Call) and grand.func is parent:
                if parent.attr.endswith("_") and f"Tensor.{parent.attr}" in RANDOM_CALLABLES:
                    random = True  # drawn in place: `.normal_()`, `.bernoulli_()`
                elif parent.attr.endswith("_"):
                    return info  # another in-place method: what it writes is not read here
            elif isinstance(parent, (ast.Call, ast.keyword, ast.Starred)):
                call = parent if isinstance(parent, ast.Call) else parent_of(parent)
                qualname = self.names.qualname(call.func) if isinstance(call, ast.Call) else None
                if qualname and qualname.startswith("torch.nn.init.") and not qualname.endswith(
                        ("zeros_", "ones_", "constant_", "eye_", "dirac_")):
                    random = True
                elif not (qualname and qualname.startswith("torch.") and not qualname.startswith("torch.nn.init.")):
                    return info  # handed to a function that may write into it
        if random:
            return replace(info, plain=False, random=True, source=f"{info.source} filled at random")
        if not written:
            return info
        structured = True
        for value, whole in written:
            if is_scalar(value, function):
                structured &= not whole  # one number over all of it is torch.full: how learned values start
                continue
            found = self.info(value, function, depth + 1)
            if found is None:
                return info
            if found.random:
                return replace(info, plain=False, random=True, source=f"{info.source} filled at random")
            structured &= found.structured
        if structured:
            return replace(info, plain=False, structured=True, source=f"{info.source} filled with computed values")
        return info

    def _binding_before(self, name: ast.Name, function) -> ast.Assign | None:
        """The assignment whose value ``name`` reads: its only one, or, when every binding of the local is
        a plain assignment in the function's own body (no branch or loop), the last one before the read
        (``k = exp(...); k = k / k.sum()``)."""
        sites = self._locals_of(function).get(name.id, [])
        if not sites or not all(isinstance(s, ast.Assign) and len(s.targets) == 1 for s in sites):
            return None
        if len(sites) == 1:
            return sites[0]
        body = getattr(function, "body", [])
        if not all(s in body for s in sites):
            return None
        earlier = [s for s in sites if (s.lineno, s.col_offset) < (name.lineno, name.col_offset)
                   and not (s.lineno <= name.lineno <= s.end_lineno)]
        return max(earlier, key=lambda s: (s.lineno, s.col_offset)) if earlier else None

    def _call(self, call: ast.Call, function, depth: int) -> TensorInfo | None:
        """A torch function (``torch.zeros(n)``, ``torch.cat([a, b])``) or a tensor method (``t.float()``)."""
        qualname = self.names.qualname(call.func)
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        if qualname and qualname.startswith("torch."):
            info = self._torch_function(qualname[6:], call, keywords, function, depth) \
                if qualname.count(".") == 1 else None
            if info is None and qualname in TORCH_FUNCTIONS:
                info = self._of_tensors(qualname, call, keywords, function, depth)
            if info is not None and isinstance(keywords.get("requires_grad"), ast.Constant) \
                    and keywords["requires_grad"].value is True:
                info = replace(info, requires_grad=True)
            return info
        if isinstance(call.func, ast.Attribute) and call.func.attr in TENSOR_METHOD_DTYPES:
            inner = self.info(call.func.value, function, depth + 1)
            return self._tensor_method(call.func.attr, inner, call, keywords) if inner is not None else None
        found = self._callee(call, function) if self._callee is not None and depth < _CALL_DEPTH_LIMIT else None
        return found[1]._returned(found[0], depth) if found is not None else None

    def _returned(self, callee: ast.FunctionDef, depth: int) -> TensorInfo | None:
        """What ``self._make_mask(n)`` or ``build_alibi(h, w)`` gives: the tensor every ``return`` of the
        function returns (combined), or None when one of them is not known to be a tensor. Memoised per
        function; a call back into a function being read (recursion) is unknown."""
        if callee in self._returns:
            return self._returns[callee]
        self._returns[callee] = None
        if callee.body and parent_of(callee.body[0]) is None:
            set_parents(callee)  # module-level functions: only class bodies have parents up front
        returns, generator = [], False
        for node in _scope_nodes(callee):
            returns += [node] if isinstance(node, ast.Return) else []
            generator |= isinstance(node, (ast.Yield, ast.YieldFrom))
        infos = [self.info(r.value, callee, depth + _CALL_DEPTH_STEP) for r in returns] if not generator else []
        result = None
        if infos and all(infos):
            combined = _combine(infos, None)
            result = replace(combined, source=f"{combined.source}, returned by {callee.name}()")
        self._returns[callee] = result
        return result

    def _torch_function(self, name: str, call: ast.Call, keywords, function, depth: int) -> TensorInfo | None:
        dtype = _dtype_of(keywords["dtype"]) if "dtype" in keywords else None
        source = f"torch.{name}"
        if name in ("randperm", "randint", "randint_like"):
            ndim = 1 if name == "randperm" else _size_ndim(call.args[2:] if name == "randint" else (), function)
            return TensorInfo(dtype or "int", random=True, source=source, ndim=ndim)
        if name in RANDOM_FACTORIES:
            ndim = _size_ndim(call.args, function) if name in ("rand", "randn") else None
            return TensorInfo(dtype or "float", random=True, source=source, ndim=ndim)
        if name in ("arange", "range"):
            numbers = {_number_kind(a) for a in call.args}
            guessed = "float" if "float" in numbers else ("int" if numbers <= {"int", None} else "unknown")
            return TensorInfo(dtype or guessed, structured=True, source=source, ndim=1)
        if name in STRUCTURED_FACTORIES:
            inner = self.info(call.args[0], function, depth + 1) if call.args and name in ("tril", "triu") else None
            base_dtype = inner.dtype if inner else ("int" if name.endswith("_indices") else "float")
            ndim = inner.ndim if inner else 2 if name in ("eye", "tril_indices", "triu_indices") else 1
            return TensorInfo(dtype or base_dtype, structured=True, random=bool(inner and inner.random), source=source,
                              ndim=ndim)
        if name in PLAIN_FACTORIES:
            return self._plain_factory(name, call, keywords, dtype, function, depth)
        if name in LEGACY_CONSTRUCTORS and _sizes_only(call.args, function):
            # `torch.FloatTensor(n, m)`: uninitialised storage of that size, as torch.empty gives (a weight
            # waiting for its init), not a literal
            return TensorInfo(dtype or LEGACY_CONSTRUCTORS[name], plain=True, source=source,
                              ndim=_size_ndim(call.args, function), unit=_unit_sizes(call.args))
        if name in LITERAL_FACTORIES:
            literal = call.args[0] if call.args else None
            guessed = _literal_dtype(literal) if name in ("tensor", "as_tensor") else (
                "int" if name in ("LongTensor", "IntTensor", "BoolTensor", "ByteTensor") else "float")
            ndim = _literal_ndim(literal, function) if name in ("tensor", "as_tensor") else None
            # `torch.Tensor(num_features)`: one value of unknown type is sizes or data: storage, maybe
            storage = name in LEGACY_CONSTRUCTORS and not isinstance(literal, (ast.List, ast.Tuple, ast.Constant))
            return TensorInfo(dtype or guessed, structured=isinstance(literal, (ast.List, ast.Tuple, ast.Constant)),
                              plain=storage, source=source, ndim=ndim, unit=_one_element(literal),
                              maybe_scalar=ndim is None and name in ("tensor", "as_tensor")
                              and _undescribed(literal, function))
        if name == "scalar_tensor":
            return TensorInfo(dtype or "float", structured=True, source=source, ndim=0)
        if name == "where" and len(call.args) == 3:  # torch.where(c) alone gives a tuple: left out of the table
            return self._of_tensors("torch.where", call, keywords, function, depth, arguments=call.args[1:])
        return None

    def _of_tensors(self, qualname: str, call: ast.Call, keywords, function, depth: int,
                    arguments=None) -> TensorInfo | None:
        """A torch function of tensors (``torch.cat([a, b])``, ``torch.sin(t)``, ``F.softmax(t, -1)``): what
        its tensor arguments are, with the dtype the table says the function gives (None when no
        argument is a tensor modfix knows: a factory it has no rule for tells nothing)."""
        arguments = call.args if arguments is None else arguments
        flat = [e for a in arguments for e in (a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a])]
        infos = [(a, self.info(a, function, depth + 1)) for a in flat]
        known = [i for _, i in infos if i]
        if not known:
            return None
        unread = any(i is None and not isinstance(a, ast.Constant) and not is_scalar(a, function) for a, i in infos)
        dtype = _dtype_of(keywords["dtype"]) if "dtype" in keywords else _TABLE_DTYPES.get(
            TORCH_FUNCTIONS.get(qualname, "unknown"))
        combined = _combine(known, dtype if dtype != "same" else None)
        if unread:
            combined = replace(combined, partial=True, structured=False)
        if qualname in RANDOM_CALLABLES:  # F.dropout(t), torch.bernoulli(p): another draw on every build
            combined = replace(combined, random=True, structured=False, plain=False)
        name = qualname.rsplit(".", 1)[-1]
        if name == "stack":
            return replace(combined, ndim=None if combined.ndim is None else combined.ndim + 1)
        if name != "cat" and (name not in NDIM_KEEPING_FUNCTIONS or len(arguments) == 1 and isinstance(
                arguments[0], (ast.List, ast.Tuple))):
            combined = replace(combined, ndim=None)  # a reduction or a product: other dimensions
        return combined

    def _plain_factory(self, name: str, call: ast.Call, keywords, dtype, function, depth: int) -> TensorInfo:
        """zeros/ones/full/empty (and their _like forms): how learnable scales and gates start."""
        sizes = call.args[:1] if name == "full" else call.args
        fill = call.args[1] if name == "full" and len(call.args) > 1 else keywords.get("fill_value")
        guessed = "int" if name == "full" and fill is not None and _number_kind(fill) == "int" else "float"
        ndim, unit = _size_ndim(sizes, function), _unit_sizes(sizes)
        if name.endswith("_like") and call.args:
            inner = self.info(call.args[0], function, depth + 1)
            guessed, ndim, unit = (inner.dtype, inner.ndim, False) if inner else ("unknown", None, False)
        return TensorInfo(dtype or guessed, plain=True, source=f"torch.{name}", ndim=ndim, unit=unit)

    def _tensor_method(self, method: str, inner: TensorInfo, call: ast.Call, keywords) -> TensorInfo:
        """``t.float()``, ``t.view(...)``, ``t.requires_grad_()``: the same values, another dtype or shape."""
        if method not in NDIM_KEEPING_METHODS:
            inner = replace(inner, ndim=None, maybe_scalar=False)
        if method in ("float", "double", "half", "bfloat16"):
            return replace(inner, dtype="float")
        if method in ("long", "int", "bool", "short", "byte"):
            return replace(inner, dtype="int")
        if method == "to":
            for arg in list(call.args) + [keywords.get("dtype")]:
                if arg is not None and _dtype_of(arg) != "unknown":
                    return replace(inner, dtype=_dtype_of(arg))
        if method == "requires_grad_":
            flag = call.args[0] if call.args else keywords.get("requires_grad")
            if flag is None or (isinstance(flag, ast.Constant) and flag.value is True):
                return replace(inner, requires_grad=True)
            if isinstance(flag, ast.Constant) and flag.value is False:
                return replace(inner, requires_grad=False, frozen=True)
        if method == "detach":
            return replace(inner, requires_grad=False, frozen=True)
        if method in ("normal_", "uniform_"):
            return replace(inner, random=True, plain=False)
        dtype = _TABLE_DTYPES.get(TENSOR_METHOD_DTYPES.get(method, "unknown"))
        if f"Tensor.{method}" in RANDOM_CALLABLES:  # .exponential_(), .bernoulli(): drawn at random
            inner = replace(inner, random=True, structured=False, plain=False)
        return replace(inner, dtype=dtype) if dtype != "same" else inner

    def _arithmetic(self, expr: ast.BinOp, function, depth: int) -> TensorInfo | None:
        left = self.info(expr.left, function, depth + 1)
        right = self.info(expr.right, function, depth + 1)
        if left is None and right is None:
            return None
        other = expr.right if left is not None else expr.left
        if left is None or right is None:
            if isinstance(other, (ast.List, ast.Tuple, ast.Dict, ast.Set, ast.ListComp, ast.DictComp,
                                  ast.SetComp, ast.GeneratorExp, ast.JoinedStr)) or (
                    isinstance(other, ast.Constant) and not isinstance(other.value, (int, float))):
                return None
        known = [i for i in (left, right) if i]
        result = _combine(known, None)
        number = _number_kind(other) if len(known) == 1 else None
        if len(known) == 1 and not is_scalar(other, function):
            # the other operand may have more dimensions, and values modfix cannot read
            result = replace(result, ndim=None, partial=True, structured=False)
        if isinstance(expr.op, ast.Div) or number == "float" or (number is None and len(known) == 1):
            # true division and float operands give floats; an unknown scale usually is one
            if isinstance(expr.op, ast.Div) or number == "float":
                result = replace(result, dtype="float")
            elif result.dtype == "int" and number is None:
                result = replace(result, dtype="unknown")
        return result


def _broadcast(infos: list[TensorInfo]) -> int | None:
    ndims = [i.ndim for i in infos]
    return None if None in ndims else max(ndims)


def _size_ndim(sizes, function) -> int | None:
    """How many dimensions ``torch.zeros(*sizes)`` has: ``()`` and ``[]`` give 0, ``(n, m)`` gives 2."""
    sizes = list(sizes)
    if len(sizes) == 1 and isinstance(sizes[0], (ast.Tuple, ast.List)):
        sizes = sizes[0].elts
    if any(isinstance(s, ast.Starred) for s in sizes):
        return None
    if len(sizes) == 1 and not is_scalar(sizes[0], function):
        return None  # `torch.zeros(shape)`: a size object of unknown length, or one int
    return len(sizes)


def _whole(index: ast.expr) -> bool:
    """``[:]``, ``[...]``, ``[:, :]``: every element."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return all(isinstance(p, ast.Slice) and p.lower is None and p.upper is None and p.step is None
               or isinstance(p, ast.Constant) and p.value is Ellipsis for p in parts)


def _sizes_only(arguments, function) -> bool:
    """``(n, m)``: sizes (the data form takes one sequence); ``(3)`` or ``(dim)`` with a number; one list,
    tuple or value of unknown type may be the data itself."""
    if any(isinstance(a, ast.Starred) for a in arguments):
        return False
    return len(arguments) >= 2 or (len(arguments) == 1 and is_scalar(arguments[0], function))


def _unit_sizes(sizes) -> bool:
    """``torch.zeros(1)``, ``torch.ones(1, 1)``, ``torch.zeros((1,))``: every size is the constant 1."""
    sizes = list(sizes)
    if len(sizes) == 1 and isinstance(sizes[0], (ast.Tuple, ast.List)):
        sizes = sizes[0].elts
    return bool(sizes) and all(isinstance(s, ast.Constant) and s.value == 1 for s in sizes)


def _one_element(literal: ast.expr | None) -> bool:
    """``[0.5]``, ``[[1.0]]``: a literal that holds one element."""
    while isinstance(literal, (ast.List, ast.Tuple)):
        if len(literal.elts) != 1:
            return False
        literal = literal.elts[0]
    return isinstance(literal, (ast.List, ast.Tuple)) or literal is not None and not isinstance(literal, ast.Name)


def _parameter(name: str, function) -> tuple[ast.arg, ast.expr | None] | None:
    """The parameter of the function with that name, and its default (None without one)."""
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    args = function.args
    positional = args.posonlyargs + args.args
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(args.defaults):]], args.defaults))
    defaults.update({a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    found = next((a for a in positional + args.kwonlyargs if a.arg == name), None)
    return (found, defaults.get(name)) if found is not None else None


def _undescribed(value: ast.expr | None, function) -> bool:
    """A parameter of the function with neither a default nor an annotation: its type is unknown."""
    parameter = _parameter(value.id, function) if isinstance(value, ast.Name) else None
    return parameter is not None and parameter[0].annotation is None and parameter[1] is None


def _parameter_default(name: ast.Name, function) -> ast.expr | None:
    """``weights=(1.0, 2.0)``: the default a parameter of the function declares."""
    parameter = _parameter(name.id, function)
    return parameter[1] if parameter else None


def _literal_ndim(literal: ast.expr | None, function) -> int | None:
    """The dimensions of ``torch.tensor(literal)``: nested list depth, or 0 for a number; a parameter's
    literal default tells the same (``weights=(1.0, 2.0)`` is 1-D)."""
    if isinstance(literal, ast.Name):
        default = _parameter_default(literal, function)
        if isinstance(default, (ast.List, ast.Tuple)):
            literal = default
    depth = 0
    while isinstance(literal, (ast.List, ast.Tuple)):
        if not literal.elts:
            return depth + 1
        literal = literal.elts[0]
        depth += 1
    if is_scalar(literal, function):
        return depth
    return None


_SCALAR_CALLS = frozenset({"builtins.float", "builtins.int", "builtins.bool", "builtins.len", "builtins.round",
                           "builtins.abs", "builtins.min", "builtins.max"})


# numpy functions that map numbers to a number (np.linspace(0, 1, 4) and the other array makers do not);
# modfix never imports numpy, so the few that matter are named here
_NUMPY_ELEMENTWISE = frozenset({
    "sqrt", "cbrt", "square", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan",
    "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "radians", "deg2rad", "degrees", "rad2deg",
    "power", "abs", "absolute", "floor", "ceil", "round", "maximum", "minimum", "hypot", "float32", "float64",
    "int32", "int64",
})


def is_scalar(node: ast.expr | None, function) -> bool:
    """A Python number: a literal, arithmetic on numbers, ``float(...)``, ``math.*(...)``, a parameter
    whose default is a number (``momentum=0.1``) or whose annotation says so (``scale: float``), or an
    attribute this function sets once from a number (``self.slope = negative_slope``)."""
    return _is_scalar(node, function, frozenset())


def _is_scalar(node: ast.expr | None, function, attributes_followed: frozenset[str]) -> bool:
    """``is_scalar``; ``attributes_followed`` holds the attributes whose assignment is being read, so
    attributes set from each other (``self.a = self.b + 1; self.b = self.a``) end the walk."""
    def scalar(child: ast.expr | None) -> bool:
        return _is_scalar(child, function, attributes_followed)

    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float, bool))
    if isinstance(node, ast.UnaryOp):
        return scalar(node.operand)
    if isinstance(node, ast.BinOp):
        return scalar(node.left) and scalar(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else ""
        module = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
        if module in ("np", "numpy"):  # np.radians(40): a number when every argument is one
            return func.attr in _NUMPY_ELEMENTWISE and bool(node.args) and all(scalar(a) for a in node.args)
        return module == "math" or f"builtins.{name}" in _SCALAR_CALLS
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    if isinstance(node, ast.Name):
        bound = _local_number(node.id, function)
        if bound is not None:
            return bound
        parameter = _parameter(node.id, function)
        if parameter is not None:
            arg, default = parameter
            if _numeric_annotation(arg.annotation):
                return True
            return default is not None and arg.annotation is None and is_scalar(default, None)
    if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr not in attributes_followed
            and len(attributes_followed) < _ATTRIBUTES_FOLLOWED_AT_MOST):
        value = _attribute_number_source(node, function)
        return value is not None and _is_scalar(value, function, attributes_followed | {node.attr})
    return False


_ATTRIBUTES_FOLLOWED_AT_MOST = 8


def _attribute_number_source(read: ast.Attribute, function: ast.FunctionDef,
                             found: list[ast.stmt] | None = None) -> ast.expr | None:
    """The value ``self.slope`` certainly holds where this function reads it: the function itself set it
    with a statement of its own body that always runs before the read (``self.slope = negative_slope``),
    and sets it nowhere else; between the two it calls no method that could set it again."""
    if found is None:  # the statements that set it, unless the caller knows them (the class's facts)
        writes = _attribute_writes(function)
        if writes is None:
            return None
        found = writes.get((read.value.id, read.attr), [])
    if len(found) != 1 or not isinstance(found[0], ast.Assign) or len(found[0].targets) != 1:
        return None
    write = found[0]
    body = function.body
    if write not in body:
        return None  # inside an if, a loop or a try: it may not run
    statement = read
    while statement is not None and statement not in body:
        statement = parent_of(statement)
    if statement is None or body.index(statement) <= body.index(write):
        return None
    owner = class_of(function)
    for between in body[body.index(write) + 1: body.index(statement) + 1]:
        if any(isinstance(n, ast.Call) and _may_set_again(n, read.value.id, read.attr, owner)
               for n in ast.walk(between)):
            return None  # `self._per_channel(dim)`, `super().reset()`, `helper(self)`: may set it again
    return write.value


def _may_set_again(call: ast.Call, self_name: str, attr: str, owner: ast.AST | None, depth: int = 4) -> bool:
    """Can this call set ``self.<attr>``? A method of the class that sets it nowhere, itself or through
    the methods it calls, cannot; an inherited method, ``super()``, a method of an attribute, or any
    function handed the instance may."""
    if any(isinstance(a, ast.Name) and a.id == self_name for a in list(call.args) + [k.value for k in call.keywords]):
        return True  # `_per_channel(self, dim)`, `Base.__init__(self)`: the instance is theirs to change
    func = call.func
    root = func
    while isinstance(root, ast.Attribute):
        root = root.value
    if isinstance(root, ast.Call) and isinstance(root.func, ast.Name) and root.func.id == "super":
        return True
    if not (isinstance(root, ast.Name) and root.id == self_name):
        return False
    if not (isinstance(func, ast.Attribute) and func.value is root) or not isinstance(owner, ast.ClassDef):
        return True  # `self.proj.reset()`, or a class modfix cannot see
    method = next((n for n in owner.body if isinstance(n, ast.FunctionDef) and n.name == func.attr), None)
    if method is None or depth == 0 or not method.args.args:
        return True  # inherited, or too deep to follow
    writes = _attribute_writes(method)
    own = method.args.args[0].arg
    if writes is None or (own, attr) in writes:
        return True
    return any(isinstance(n, ast.Call) and _may_set_again(n, own, attr, owner, depth - 1) for n in ast.walk(method))


_WRITES_BY_FUNCTION: "weakref.WeakKeyDictionary[ast.AST, dict | None]" = weakref.WeakKeyDictionary()


def _attribute_writes(function: ast.FunctionDef) -> dict[tuple[str, str], list[ast.stmt]] | None:
    """(object name, attribute) -> the statements of the function that set it, in any form (``=``,
    tuple targets, ``+=``, ``for``, ``with ... as``); None when ``setattr`` may set any of them."""
    if function in _WRITES_BY_FUNCTION:
        return _WRITES_BY_FUNCTION[function]
    writes: dict[tuple[str, str], list[ast.stmt]] | None = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            writes = None
            break
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name):
            owner = parent_of(node)
            while isinstance(owner, (ast.Tuple, ast.List, ast.Starred)):
                owner = parent_of(owner)
            writes.setdefault((node.value.id, node.attr), []).append(owner)
    _WRITES_BY_FUNCTION[function] = writes
    return writes


_LOCALS_BEING_READ: set[tuple[int, str]] = set()


def _local_number(name: str, function: ast.FunctionDef) -> bool | None:
    """A local bound once, to a number: ``dim: int = ...``, ``n = x.shape[1]``, ``k = len(xs)``;
    None when the name is not a local bound by one assignment."""
    bindings = [n for n in ast.walk(function) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For))
                and any(isinstance(t, ast.Name) and t.id == name for t in ast.walk(
                    n.target if not isinstance(n, ast.Assign) else ast.Tuple(elts=n.targets)))]
    if len(bindings) != 1 or isinstance(bindings[0], (ast.AugAssign, ast.For)):
        return None
    binding = bindings[0]
    if isinstance(binding, ast.AnnAssign) and _numeric_annotation(binding.annotation):
        return True
    if isinstance(binding, ast.Assign) and len(binding.targets) == 1 and isinstance(binding.targets[0], ast.Name):
        value = binding.value
        if isinstance(value, ast.Subscript) and isinstance(value.value, ast.Attribute) and value.value.attr == "shape":
            return True
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "size" \
                and value.args:
            return True
        key = (id(function), name)
        if key in _LOCALS_BEING_READ:
            return False  # `n = n + 1` reads itself
        _LOCALS_BEING_READ.add(key)
        try:
            return is_scalar(value, function)  # `half = dim // 2` with `dim=8`
        finally:
            _LOCALS_BEING_READ.discard(key)
    if isinstance(binding, ast.Assign) and len(binding.targets) == 1 and isinstance(binding.targets[0], ast.Tuple):
        value = binding.value  # `b, c, h, w = x.shape`: every element of a shape is a number
        return (isinstance(value, ast.Attribute) and value.attr == "shape") or (
            isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "size"
            and not value.args)
    return False


def _numeric_annotation(annotation: ast.expr | None) -> bool:
    """``int``, ``float``, ``bool``, ``Optional[int]``, ``int | None``."""
    if isinstance(annotation, ast.Name):
        return annotation.id in ("int", "float", "bool")
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [annotation.left, annotation.right]
        return any(_numeric_annotation(s) for s in sides) and all(
            _numeric_annotation(s) or (isinstance(s, ast.Constant) and s.value is None) for s in sides)
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.value, (ast.Name, ast.Attribute)):
        outer = annotation.value.id if isinstance(annotation.value, ast.Name) else annotation.value.attr
        return outer == "Optional" and _numeric_annotation(annotation.slice)
    return False


# what a dtype rule of the torch tables makes of the result's dtype family ("same": the inputs')
_TABLE_DTYPES = {"same": "same", "float": "float", "int": "int", "bool": "int", "unknown": "unknown"}
# torch functions whose result has the dimensions of their (broadcast) tensor arguments
NDIM_KEEPING_FUNCTIONS = frozenset({
    "exp", "log", "sin", "cos", "sqrt", "rsqrt", "pow", "abs", "sigmoid", "tanh", "softmax", "cumsum", "cumprod",
    "where", "clamp", "flip", "roll", "polar", "complex", "reciprocal", "erf", "floor", "ceil", "round", "maximum",
    "minimum", "triu", "tril", "masked_fill", "atan2", "exp2", "log2", "sign", "cat",
})
# methods whose result has the dimensions of the tensor they are called on
NDIM_KEEPING_METHODS = frozenset({
    "to", "cuda", "cpu", "float", "double", "half", "bfloat16", "long", "int", "bool", "short", "byte", "clone",
    "detach", "contiguous", "type_as", "requires_grad_", "normal_", "uniform_", "fill_", "zero_", "abs", "neg",
    "exp", "log", "sqrt", "sin", "cos", "sigmoid", "tanh", "clamp", "masked_fill", "flip", "roll", "tril", "triu",
    "softmax", "cumsum",
})


def _combine(infos: list[TensorInfo], dtype: str | None) -> TensorInfo:
    dtypes = {i.dtype for i in infos}
    merged = dtype or ("float" if "float" in dtypes else ("int" if dtypes == {"int"} else "unknown"))
    return TensorInfo(
        merged,
        random=any(i.random for i in infos),
        structured=all(i.structured for i in infos),
        plain=all(i.plain for i in infos) and not any(i.random for i in infos),
        requires_grad=any(i.requires_grad for i in infos),
        frozen=all(i.frozen for i in infos),
        partial=any(i.partial for i in infos),
        source=" and ".join(sorted({i.source for i in infos if i.source})),
        ndim=_broadcast(infos),
        maybe_scalar=all(i.maybe_scalar or i.ndim == 0 for i in infos) and any(i.maybe_scalar for i in infos),
        unit=all(i.unit or i.ndim == 0 for i in infos) and any(i.unit for i in infos),
    )


def _literal_dtype(literal: ast.expr | None) -> str:
    values = []
    stack = [literal]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.List, ast.Tuple)):
            stack.extend(node.elts)
        elif isinstance(node, ast.Constant):
            values.append(node.value)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            values.append(node.operand.value)
        else:
            return "unknown"
    if values and all(isinstance(v, bool) or isinstance(v, int) for v in values):
        return "int"
    if any(isinstance(v, float) for v in values):
        return "float"
    return "unknown"
