"""torch.utils.benchmark helpers (ordered_unique, set_torch_threads, Colorize) against PyTorch."""
from harness import same


def test_benchmark_helpers():
    def f(T):
        import importlib
        B = importlib.import_module(T.__name__ + ".utils.benchmark")
        before = T.get_num_threads()
        with B.set_torch_threads(1) as r:
            inside = T.get_num_threads()
        return (B.ordered_unique([3, 1, 3, 2, 1]), B.ordered_unique("abca"), r, inside, T.get_num_threads() == before,
                [(k, v.value) for k, v in B.Colorize.__members__.items()], str(B.Colorize.ROWWISE))
    same(f)
