FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY realtime ./realtime
COPY workers ./workers
COPY bench ./bench
COPY sql ./sql
RUN pip install --no-cache-dir .
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["python", "-m", "server", "serve", "--host", "0.0.0.0", "--port", "8000"]
