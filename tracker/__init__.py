"""Distance Travelled: the domain core of the outcomes tracker.

Nothing in this package imports Streamlit, so everything here can be driven
from the command line and tested without a browser.
"""

__version__ = "0.1.0"
