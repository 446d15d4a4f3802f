# bitbudget: reproduce "Are Conventional SNNs Really Efficient? A Perspective from Network
# Quantization" (Shen et al., CVPR 2024).
#
#   snakemake --cores all                                   # quick profile (default, offline)
#   snakemake --cores all --configfile config/paper.yaml    # the paper profile (GPUs)
#   snakemake --cores all --configfile config/rehearsal.yaml  # the paper DAG on fake data (CPU)
#   snakemake results/figures/fig4.pdf                      # only what Fig. 4 needs
#
# Experiments are data (config/*.yaml + data/paper/table*.csv, expanded by qsnn.experiments);
# every rule calls the qsnn CLI or a figure script. Resources live in workflow/profiles/.
from snakemake.utils import min_version

min_version("9.0")


# `snakemake --report results/report.html`: this page opens it (what the report holds, where to start).
report: "workflow/report/workflow.rst"


# A --configfile is a whole configuration: config/paper.yaml, config/rehearsal.yaml or a user's own
# file replace the quick profile instead of being merged over it (a merge would leave the quick
# profile's tables, figures and extensions in a config that selects fewer). --config KEY=VALUE
# still overrides single keys of whichever file is in use.
# The default config is found next to this Snakefile, so `snakemake --directory OUT` works too.
if not workflow.overwrite_configfiles:

    configfile: f"{workflow.basedir}/config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/costs.smk"
include: "workflow/rules/hardware.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/report.smk"


# Cheap bookkeeping rules run on the submitting host, never as cluster jobs; so do the
# downloads (compute nodes often have no internet).
localrules:
    all,
    fake_dataset,
    prepare_dataset,
    plan,
    summarize,
    summarize_selection,
    paper_costs,
    plan_costs,
    reproduction_report,
    timing,
    synth_accelerator,
    figure,
    table,
    paper_tex,
    search_round,
    search_summary,
    search_table,
    search_figure,


rule all:
    default_target: True
    input:
        # Every run, table, figure, hardware CSV and report; the config's `outputs:` may narrow it.
        default_targets(),
