"""Model definitions: compact ECAPA-style encoder, in-graph statistics front end, linear back ends,
the exported speaker-embedding wrapper and the age/gender wrapper. Input of every exported module:
CMN'd 80-dim Kaldi fbank, [B, T, 80]."""
import math

import numpy as np

import torch
import torch.nn as nn
import torch.nn.functional as F


# ------------------------------------------------------------------ statistics front end (no learning)
class StatsFront(nn.Module):
    """Utterance statistics of CMN'd fbank: std, energy-weighted mean, std of deltas, energy-weighted std.
    Output [B, 320]. (The plain mean is zero after CMN, so it is not used.)"""

    def forward(self, x):  # x [B, T, 80]
        std = torch.sqrt(x.pow(2).mean(dim=1) + 1e-5)
        e = x.mean(dim=2, keepdim=True)  # per-frame log-energy proxy (CMN'd)
        w = torch.softmax(e, dim=1)  # emphasises loud (speech) frames
        wmean = (w * x).sum(dim=1)
        wstd = torch.sqrt((w * (x - wmean.unsqueeze(1)).pow(2)).sum(dim=1) + 1e-5)
        d = x[:, 2:, :] - x[:, :-2, :]
        dstd = torch.sqrt(d.pow(2).mean(dim=1) + 1e-5)
        return torch.cat([std, wmean, dstd, wstd], dim=1)


# ------------------------------------------------------------------ compact ECAPA-style encoder
class SEBlock(nn.Module):
    def __init__(self, c, b=64):
        super().__init__()
        self.fc1 = nn.Conv1d(c, b, 1)
        self.fc2 = nn.Conv1d(b, c, 1)

    def forward(self, x):
        s = x.mean(dim=2, keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


class Res2Block(nn.Module):
    def __init__(self, c, dilation, scale=4):
        super().__init__()
        self.scale = scale
        w = c // scale
        self.conv_in = nn.Conv1d(c, c, 1)
        self.bn_in = nn.BatchNorm1d(c)
        self.convs = nn.ModuleList([nn.Conv1d(w, w, 3, dilation=dilation, padding=dilation) for _ in range(scale - 1)])
        self.bns = nn.ModuleList([nn.BatchNorm1d(w) for _ in range(scale - 1)])
        self.conv_out = nn.Conv1d(c, c, 1)
        self.bn_out = nn.BatchNorm1d(c)
        self.se = SEBlock(c)

    def forward(self, x):
        y = self.bn_in(F.relu(self.conv_in(x)))
        parts = torch.chunk(y, self.scale, dim=1)
        outs = [parts[0]]
        prev = None
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            inp = parts[i + 1] if prev is None else parts[i + 1] + prev
            prev = bn(F.relu(conv(inp)))
            outs.append(prev)
        y = torch.cat(outs, dim=1)
        y = self.bn_out(F.relu(self.conv_out(y)))
        return x + self.se(y)


class ECAPALite(nn.Module):
    def __init__(self, c=256, mfa=512, emb=192, att=128):
        super().__init__()
        self.conv1 = nn.Conv1d(80, c, 5, stride=2, padding=2)
        self.bn1 = nn.BatchNorm1d(c)
        self.blocks = nn.ModuleList([Res2Block(c, d) for d in (2, 3, 4)])
        self.mfa = nn.Conv1d(3 * c, mfa, 1)
        self.att1 = nn.Conv1d(mfa, att, 1)
        self.att2 = nn.Conv1d(att, mfa, 1)
        self.bn_pool = nn.BatchNorm1d(2 * mfa)
        self.fc = nn.Linear(2 * mfa, emb)
        self.bn_emb = nn.BatchNorm1d(emb)

    def forward(self, feats):  # [B, T, 80] -> [B, emb] (not normalised)
        return self.bn_emb(self.fc(self.bn_pool(self.pooled(feats))))

    def pooled(self, feats):  # [B, T, 80] -> [B, 2*mfa] attentive mean and std
        x = feats.transpose(1, 2)
        x = self.bn1(F.relu(self.conv1(x)))
        outs = []
        for b in self.blocks:
            x = b(x)
            outs.append(x)
        x = F.relu(self.mfa(torch.cat(outs, dim=1)))
        a = torch.softmax(self.att2(torch.tanh(self.att1(x))), dim=2)
        mu = (a * x).sum(dim=2)
        sg = torch.sqrt(((a * x * x).sum(dim=2) - mu * mu).clamp(min=1e-5))
        return torch.cat([mu, sg], dim=1)


class AAMSoftmax(nn.Module):
    def __init__(self, emb, n_cls, m=0.2, s=30.0):
        super().__init__()
        self.w = nn.Parameter(torch.randn(n_cls, emb) * 0.01)
        self.m, self.s = m, s

    def forward(self, e, y):
        cos = F.linear(F.normalize(e), F.normalize(self.w)).clamp(-1 + 1e-7, 1 - 1e-7)
        th = torch.acos(cos)
        tgt = torch.cos(th + self.m)
        onehot = F.one_hot(y, cos.shape[1]).bool()
        logits = self.s * torch.where(onehot, tgt, cos)
        return F.cross_entropy(logits, y), (cos.argmax(1) == y).float().mean()


# ------------------------------------------------------------------ back end folded into the graph
class LinearBackend(nn.Module):
    """y = normalize(W (x - mu)); W = LDA + within-class whitening, estimated in numpy."""

    def __init__(self, din, dout):
        super().__init__()
        self.register_buffer("mu", torch.zeros(din))
        self.register_buffer("W", torch.zeros(dout, din))
        self.register_buffer("mu2", torch.zeros(dout))

    def forward(self, x):
        y = F.linear(x - self.mu, self.W) - self.mu2
        return F.normalize(y, dim=1)


class SpeakerEmbedder(nn.Module):
    """Exported speaker encoder: feats [1, T, 80] (CMN'd) -> embedding [1, D] (L2-normalised).
    Branches: neural (ECAPALite -> back end) and/or statistics (StatsFront -> back end), fused by weighted
    concatenation, so cosine(emb_a, emb_b) = sum_k w_k^2 cos_k / sum_k w_k^2 (a fused score)."""

    def __init__(self, encoder=None, nb=None, sb=None, w_neural=1.0, w_stats=1.0, raw_neural=False):
        super().__init__()
        self.encoder = encoder
        self.stats = StatsFront() if sb is not None else None
        self.nb = nb
        self.sb = sb
        self.raw_neural = raw_neural
        self.register_buffer("w", torch.tensor([w_neural, w_stats], dtype=torch.float32))

    def branches(self, feats):
        outs = []
        if self.encoder is not None:
            e = F.normalize(self.encoder(feats), dim=1)
            outs.append(e if self.nb is None else self.nb(e))
        if self.sb is not None:
            outs.append(self.sb(self.stats(feats)))
        return outs

    def forward(self, feats):
        outs = self.branches(feats)
        if len(outs) == 2:
            y = torch.cat([outs[0] * self.w[0], outs[1] * self.w[1]], dim=1)
        else:
            y = outs[0]
        return F.normalize(y, dim=1)


class AgeGender(nn.Module):
    """feats [1, T, 80] -> gender_probs [1, 3] (female, male, child), age_years [1, 1], age_std [1, 1].
    Inputs to the heads: statistics front end (+ neural embedding if an encoder is present)."""

    def __init__(self, din, encoder=None, hidden=0, use="emb", stats=True):
        super().__init__()
        self.encoder = encoder
        self.use = use
        self.stats = StatsFront() if stats else None
        self.register_buffer("mu", torch.zeros(din))
        self.register_buffer("sd", torch.ones(din))
        self.hidden = nn.Sequential(nn.Linear(din, hidden), nn.ReLU()) if hidden else None
        dh = hidden or din
        self.gender = nn.Linear(dh, 3)
        self.age = nn.Linear(dh, 1)
        self.register_buffer("class_age_std", torch.tensor([6.0, 6.0, 2.0]))
        self.register_buffer("age_range", torch.tensor([5.0, 80.0]))

    def features(self, feats):
        z = [self.stats(feats)] if self.stats is not None else []
        if self.encoder is not None:
            if self.use == "pooled":
                z.append(self.encoder.pooled(feats))
            else:
                z.append(F.normalize(self.encoder(feats), dim=1))
        z = (torch.cat(z, dim=1) - self.mu) / self.sd
        return z if self.hidden is None else self.hidden(z)

    def forward(self, feats):
        z = self.features(feats)
        p = torch.softmax(self.gender(z), dim=1)
        age = self.age(z).clamp(self.age_range[0], self.age_range[1])
        age_std = (p * self.class_age_std).sum(dim=1, keepdim=True)
        return p, age, age_std


class FrameAgeGender(nn.Module):
    """Frame-level age/gender model: a small MLP over +-ctx frames of the CMN'd fbank (each frame also
    mean-normalised over its bins) gives per-frame class logits and an age; the utterance result pools the
    per-frame log-probabilities and ages with loudness weights (softmax of frame energy), so voiced frames
    dominate. Pitch harmonics and formant positions are visible in single frames, which is what it uses."""

    def __init__(self, ctx=1, hidden=128, hidden2=64, temp=1.0):
        super().__init__()
        self.ctx = ctx
        self.conv1 = nn.Conv1d(80, hidden, 2 * ctx + 1, padding=ctx)
        self.conv2 = nn.Conv1d(hidden, hidden2, 1)
        self.out = nn.Conv1d(hidden2, 4, 1)
        self.register_buffer("class_age_std", torch.tensor([6.0, 6.0, 2.0]))
        self.register_buffer("age_range", torch.tensor([5.0, 80.0]))
        self.register_buffer("temp", torch.tensor(temp))
        self.register_buffer("logit_bias", torch.zeros(3))

    def frame_outputs(self, feats):  # [B, T, 80] -> logits [B, 3, T], age [B, T], energy [B, T]
        e = feats.mean(dim=2)
        x = (feats - e.unsqueeze(2)).transpose(1, 2)
        h = F.relu(self.conv2(F.relu(self.conv1(x))))
        o = self.out(h)
        return o[:, :3, :], 30.0 + 10.0 * o[:, 3, :], e

    def forward(self, feats):
        logits, age, e = self.frame_outputs(feats)
        w = torch.softmax(e * self.temp, dim=1)  # [B, T]
        lp = (torch.log_softmax(logits, dim=1) * w.unsqueeze(1)).sum(dim=2) + self.logit_bias
        p = torch.softmax(lp, dim=1)
        a = (age * w).sum(dim=1, keepdim=True).clamp(self.age_range[0], self.age_range[1])
        sd = (p * self.class_age_std).sum(dim=1, keepdim=True)
        return p, a, sd


class EnsembleAgeGender(nn.Module):
    """Weighted log-linear fusion of several age/gender modules (same outputs)."""

    def __init__(self, members, weights):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.register_buffer("w", torch.tensor(weights, dtype=torch.float32))

    def forward(self, feats):
        lp, age, sd = 0.0, 0.0, 0.0
        tot = self.w.sum()
        for i, m in enumerate(self.members):
            p, a, s = m(feats)
            lp = lp + self.w[i] * torch.log(p + 1e-6)
            age = age + self.w[i] * a
            sd = sd + self.w[i] * s
        return torch.softmax(lp / tot, dim=1), age / tot, sd / tot


class PitchFusedAgeGender(nn.Module):
    """Frame-level fbank model fused with F0 statistics z [B, K] (src-main/engine/audio/pitch.ts), in two binary
    decisions: male vs female logit = a * (log p_m - log p_f) + w_g . (z - mu) / sd + b_g; child vs adult logit =
    c * (log p_c - log(p_f + p_m)) + k * (w_c . (z - mu) / sd + b_c), with p_* the frame model's probabilities;
    gender_probs = [(1 - P_child)(1 - P_male), (1 - P_child) P_male, P_child]. Age = the frame model's age; age_std
    = its per-class calibration mixed by the fused probabilities. Trained in fusionhead.py."""

    def __init__(self, frame, wg, bg, wc, bc, mu, sd, a=1.0, c=1.0, k=0.0):
        super().__init__()
        self.frame = frame
        f32 = lambda v: torch.as_tensor(np.asarray(v, dtype=np.float32))  # noqa: E731
        for name, v in dict(wg=wg, bg=bg, wc=wc, bc=bc, mu=mu, sd=sd).items():
            self.register_buffer(name, f32(v).reshape(-1))
        self.register_buffer("a", torch.tensor(float(a)))
        self.register_buffer("c", torch.tensor(float(c)))
        self.register_buffer("k", torch.tensor(float(k)))

    def forward(self, feats, pitch_stats):
        p1, age, _ = self.frame(feats)
        lp = torch.log(p1.clamp_min(1e-6))
        z = (pitch_stats - self.mu) / self.sd
        male = torch.sigmoid(self.a * (lp[:, 1] - lp[:, 0]) + z @ self.wg + self.bg)
        adult = torch.log((p1[:, 0] + p1[:, 1]).clamp_min(1e-6))
        child = torch.sigmoid(self.c * (lp[:, 2] - adult) + self.k * (z @ self.wc + self.bc))
        p = torch.stack([(1 - child) * (1 - male), (1 - child) * male, child], dim=1)
        sd = (p * self.frame.class_age_std).sum(dim=1, keepdim=True)
        return p, age, sd
