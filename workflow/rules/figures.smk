# One rule per figure; each calls figures/figN.py with the flags of DESIGN.md and writes the
# PDF and a PNG beside it. A figure reads only its subset of the summary (so it trains only
# the runs it plots), metrics.json files, and results/hardware/*.csv.

FIGURE_CMD = (
    "python figures/{params.script} --experiments {input.experiments} --runs results/runs"
    " --hardware results/hardware --profile {params.profile} --out {output.pdf} > {log} 2>&1"
)


rule fig1:
    input:
        script="figures/fig1.py",
        experiments="results/summary/subsets/fig1.csv",
    output:
        **figure_outputs(1),
    conda:
        CONDA_ENV
    log:
        "results/logs/figures/fig1.log",
    params:
        script="fig1.py",
        profile=PROFILE,
    shell:
        FIGURE_CMD


rule fig2:
    input:
        script="figures/fig2.py",
        experiments="results/summary/subsets/fig2.csv",
        traces="results/hardware/fig2_traces.csv",
    output:
        **figure_outputs(2),
    conda:
        CONDA_ENV
    log:
        "results/logs/figures/fig2.log",
    params:
        script="fig2.py",
        profile=PROFILE,
    shell:
        FIGURE_CMD


rule fig3:
    input:
        script="figures/fig3.py",
        experiments="results/summary/subsets/fig3.csv",
        activity="results/hardware/activity.csv",
        fits="results/hardware/activity_fits.csv",
        synthesis="results/hardware/synthesis.csv",
    output:
        **figure_outputs(3),
    conda:
        CONDA_ENV
    log:
        "results/logs/figures/fig3.log",
    params:
        script="fig3.py",
        profile=PROFILE,
    shell:
        FIGURE_CMD


rule fig4:
    input:
        script="figures/fig4.py",
        experiments="results/summary/subsets/fig4.csv",
    output:
        **figure_outputs(4),
    conda:
        CONDA_ENV
    log:
        "results/logs/figures/fig4.log",
    params:
        script="fig4.py",
        profile=PROFILE,
    shell:
        FIGURE_CMD


rule fig5:
    input:
        script="figures/fig5.py",
        experiments="results/summary/subsets/fig5.csv",
    output:
        **figure_outputs(5),
    conda:
        CONDA_ENV
    log:
        "results/logs/figures/fig5.log",
    params:
        script="fig5.py",
        profile=PROFILE,
    shell:
        FIGURE_CMD


rule fig6:
    input:
        script="figures/fig6.py",
        experiments="results/summary/subsets/fig6.csv",
        runs=run_metrics(figure="fig6"),
    output:
        **figure_outputs(6),
    conda:
        CONDA_ENV
    log:
        "results/logs/figures/fig6.log",
    params:
        script="fig6.py",
        profile=PROFILE,
    shell:
        FIGURE_CMD
