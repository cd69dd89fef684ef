# The one image for web, worker, beat and migrate (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SILA_DATA_DIR=/var/lib/sila

# WeasyPrint (PDF reports) needs Pango and HarfBuzz; Amiri and Noto give Arabic and Latin
# glyphs for PDFs the server renders.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 \
      libjpeg62-turbo libopenjp2-7 shared-mime-info \
      fonts-hosny-amiri fonts-noto-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir sila && touch sila/__init__.py && pip install -e . && rm -rf sila

# The app finds templates/, static/ and migrations/ beside the package (an editable install
# keeps it here in /app rather than in site-packages).
COPY sila ./sila
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
COPY piccolo_conf.py ./
RUN pip install --no-deps -e . \
 && useradd --system --home-dir /var/lib/sila --create-home --shell /usr/sbin/nologin sila

USER sila
EXPOSE 8000
CMD ["sila", "serve", "--host", "0.0.0.0", "--port", "8000"]
