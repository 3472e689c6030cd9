"""The report's figure kinds and their headings, in page order.

A module of its own so the Snakefile can declare one report folder per kind without importing
pandas and matplotlib (~4 s) at every parse.
"""

FIGURE_HEADINGS = {
    "metric_by_method": "Metric by method (every seed a dot)",
    "score_by_setting": "Score by optimizer setting (SN-GAN Figs. 1-2)",
    "curve": "Metrics over training",
    "losses": "Losses and critic gap",
    "grad_norms": "Gradient norm per layer",
    "weights": "Critic weight histograms",
    "sigmas": "Spectral norm per layer",
    "samples": "Samples (first seed)",
    "fig2_grid": "Samples by Fig. 2 architecture and method (WGAN-GP section 5.2)",
    "success": "Success rate by threshold (WGAN-GP sections 5.1-5.2)",
}
KINDS = tuple(FIGURE_HEADINGS)
