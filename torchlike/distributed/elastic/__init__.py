"""``torch.distributed.elastic``: what torchrun scripts import from it (``@record``)."""
