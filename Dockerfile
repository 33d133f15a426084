FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
# .dockerignore keeps .env (the set-up's passwords), .git, .venv and local databases out of this copy.
COPY . .
# collectstatic needs settings to load: a throwaway key for the build only (the container gets SECRET_KEY at run time).
RUN pip install --no-cache-dir . \
    && SECRET_KEY=build-only-not-a-secret-collectstatic-0123456789abcdefghij python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin nakama
# Unprivileged: the code and static files stay owned by root and read-only to the app.
USER nakama
EXPOSE 8000
# gthread workers: sync workers are killed while streaming long CSV responses.
CMD ["gunicorn", "nakama.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", "--threads", "8", "--timeout", "120"]
