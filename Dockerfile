# nudge: one process hosting ingest, detection, email and the API (`nudge run`).
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund --omit=dev
COPY . .
ENV NODE_ENV=production HTTP_HOST=0.0.0.0 DATA_DIR=/data DUCKDB_PATH=/data/nudge.duckdb
VOLUME /data
EXPOSE 3000
ENTRYPOINT ["node", "cli/nudge.mjs"]
CMD ["run"]
