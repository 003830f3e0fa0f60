"""LLM VRAM Planner: the Streamlit entry point (`streamlit run app.py`, or `make run`).

Thin on purpose: the page lives in dashboard/page.py, the math in calculators/.
"""

from dashboard.page import main

main()
