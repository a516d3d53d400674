"""The quiz runner: retrieval practice on the concept banks, in a terminal and in the site.

``python -m quiz`` lists the quizzes and ``python -m quiz attention`` takes one. The
package never imports NumPy or PyTorch, so it starts at once.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
