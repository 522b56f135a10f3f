"""Adapters: the only modules that talk to a framework. One per framework; Keras 3 first.

They run in the child process that executes the user's script and hand back the plain facts
of :mod:`nncheck.facts.live`.
"""
