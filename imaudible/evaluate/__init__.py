"""Does the music fit the image? Measures, controls and the curator's report (`imaudible-site evaluate`).

Modules work on plain data (numpy arrays, dicts); none imports torch at import time.
- `health`   audio health: loudness, true peak, silence, clipping, repetition (the take-rejection checks);
- `features` the music's valence and arousal from audio features (tempo, mode, onset density, loudness,
             spectral centroid), and how many seconds each needs (`MIN_SECONDS`);
- `tempo`    the tempo estimator, which names the octave neighbour when it fits nearly as well;
- `control`  shuffled-pair control, permutation test, correlation, paired tests for variants;
- `fad`      Fréchet audio distance between Gaussian fits of embeddings, and the window-cutting recipe;
- `genre`    the thesis' genre-KL proxy (unreliable; reported as such);
- `measures` per-artwork and gallery measures from those parts;
- `reference`, `encoders` FAD against a reference folder in CLAP or any Hugging Face audio encoder's space;
- `report`, `plots`, `text` the report page (HTML with static SVG plots), report.json and report.csv;
- `public`   the copy `report: public` publishes: no local path in it;
- `run`, `command`, `variants` the `evaluate` command: the build plus the `evaluate` stage
  (`stages/evaluate.py`), the records the report reads, and `--variant KEY=VALUE`.
"""
