-- Issue 4: a job may rent several GPUs of its type (RunPod's gpuCount); the CPU is one.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS gpu_count integer NOT NULL DEFAULT 1
    CHECK (gpu_count BETWEEN 1 AND 8);
