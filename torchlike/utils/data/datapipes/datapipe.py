"""The DataPipe base classes and the ``functional_datapipe`` registry."""
from __future__ import annotations

import functools

from ..dataset import Dataset, IterableDataset

__all__ = ["DataChunk", "DFIterDataPipe", "IterDataPipe", "MapDataPipe", "functional_datapipe"]


class _FunctionalPipe:
    """``pipe.<name>(*args)`` is ``Registered(pipe, *args)`` for each registered functional name."""
    functions: dict = {}

    @classmethod
    def register_datapipe_as_function(cls, function_name, cls_to_register, enable_df_api_tracing=False):
        if function_name in cls.functions:
            raise Exception(f"Unable to add DataPipe function name {function_name} as it is already taken")  # noqa
        cls.functions[function_name] = cls_to_register

    def __getattr__(self, attribute_name):
        functions = type(self).functions
        if attribute_name in functions:
            return functools.partial(functions[attribute_name], self)
        raise AttributeError(f"'{self.__class__.__name__}' object has no attribute '{attribute_name}")

    def __repr__(self):
        return self.__class__.__qualname__

    def __str__(self):
        return self.__class__.__qualname__

    def __dir__(self):
        return list(super().__dir__()) + list(type(self).functions)


class IterDataPipe(_FunctionalPipe, IterableDataset):
    """An iterable DataPipe: a stream that other pipes wrap (``map``, ``filter``, ``batch``, ...)."""
    functions: dict = {}


class DFIterDataPipe(IterDataPipe):
    """PyTorch's base of DataFrame pipes (an ``IterDataPipe``)."""

    def _is_dfpipe(self):
        return True


class MapDataPipe(_FunctionalPipe, Dataset):
    """An indexable DataPipe (``__getitem__``/``__len__``) with functional forms."""
    functions: dict = {}


class DataChunk(list):
    """A batch produced by ``batch``: a list that prints as one."""

    def __init__(self, items):
        items = list(items)
        super().__init__(items)
        self.items = items

    def as_str(self, indent=""):
        return indent + "[" + ", ".join(str(i) for i in iter(self)) + "]"

    def __iter__(self):
        yield from super().__iter__()

    def raw_iterator(self):
        yield from self.items


class functional_datapipe:
    """Class decorator: register the DataPipe class as ``<pipe>.<name>(...)`` on its kind of pipe."""

    def __init__(self, name, enable_df_api_tracing=False):
        self.name = name
        self.enable_df_api_tracing = enable_df_api_tracing

    def __call__(self, cls):
        if issubclass(cls, IterDataPipe):
            IterDataPipe.register_datapipe_as_function(self.name, cls, self.enable_df_api_tracing)
        elif issubclass(cls, MapDataPipe):
            MapDataPipe.register_datapipe_as_function(self.name, cls)
        else:
            raise TypeError("`functional_datapipe` can only decorate IterDataPipe or MapDataPipe")
        return cls


def check_pipes(datapipes, kind):
    """The inputs of a concat/zip of ``kind`` pipes: at least one, all of that kind."""
    if len(datapipes) == 0:
        raise ValueError("Expected at least one DataPipe, but got nothing")
    if not all(isinstance(dp, kind) for dp in datapipes):
        raise TypeError(f"Expected all inputs to be `{kind.__name__}`")
    return datapipes


def check_batch_size(batch_size):
    if batch_size <= 0:
        raise AssertionError("Batch size is required to be larger than 0!")
    return batch_size


def batch_count(n, batch_size, drop_last):
    """How many batches ``n`` elements make."""
    return n // batch_size if drop_last else (n + batch_size - 1) // batch_size
