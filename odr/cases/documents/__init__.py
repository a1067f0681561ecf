"""A case's documents: upload with sniffing, per-document visibility, versions, and
online file reading (网上阅卷) with time-limited, watermarked, audited access."""
