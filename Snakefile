# bitbudget: reproduce "Are Conventional SNNs Really Efficient? A Perspective from Network
# Quantization" (Shen et al., CVPR 2024).
#
#   snakemake --cores all                                   # quick profile (default, offline)
#   snakemake --cores all --configfile config/paper.yaml    # the paper profile (GPUs)
#   snakemake results/figures/fig4.pdf                      # only what Fig. 4 needs
#
# Experiments are data (config/*.yaml + data/paper/table*.csv, expanded by qsnn.experiments);
# every rule calls the qsnn CLI or a figure script. Resources live in workflow/profiles/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/costs.smk"
include: "workflow/rules/hardware.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        run_metrics(),
        expand("results/tables/table{n}.tex", n=TABLES),
        expand("results/figures/fig{n}.{ext}", n=FIGURES, ext=["pdf", "png"]),
        HARDWARE_CSVS,
        "results/summary/experiments.csv",
        "results/costs/paper_costs.csv",
        "results/report/reproduction.md",
        "results/paper.tex",
    default_target: True
