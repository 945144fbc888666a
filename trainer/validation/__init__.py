"""Stage 5 model work: the four validation suites, measured where the model already is.

perplexity.py (held-out loss), answers.py (scenario answers for the emotional-intelligence and
brand-voice judges), knowledge.py (multiple choice by log-likelihood), each base (adapter off)
against trained (adapter on); runner.py measures the plan's suites, stores each detail and
reports SuiteMeasured. likelihood.py holds the scoring both halves share.
"""
