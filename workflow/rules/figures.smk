# One rule for every figure: figures/fig{n}.py with the flags of DESIGN.md writes the PDF and a
# PNG beside it. A figure reads only its subset of the summary (so it trains only the runs it
# plots), metrics.json files, and the hardware CSVs it draws (FIGURE_HARDWARE).


rule figure:
    input:
        unpack(figure_inputs),
    output:
        pdf="results/figures/fig{n}.pdf",
        # The report shows the PNG: a browser shows an image inline, where a PDF frame often stays blank.
        png=report(
            "results/figures/fig{n}.png",
            caption="../report/figure.rst",
            category="Figures",
            labels={"figure": "Fig. {n}"},
        ),
    log:
        "results/logs/figures/fig{n}.log",
    wildcard_constraints:
        n=r"[1-6]",
    conda:
        CONDA_ENV
    params:
        profile=PROFILE,
    shell:
        "python {input.script} --experiments {input.experiments} --runs results/runs"
        " --hardware results/hardware --profile {params.profile} --out {output.pdf} > {log} 2>&1"
