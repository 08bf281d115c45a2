# The README's "PyTorch to typegrad" loop in PyTorch; src/pytorch-to-typegrad.ts is the typegrad one.
import torch

torch.manual_seed(0)
mha = torch.nn.MultiheadAttention(32, 4, batch_first=True)
opt = torch.optim.AdamW(mha.parameters(), lr=1e-2, weight_decay=0.01)
for step in range(201):
    x = torch.randn(16, 8, 32)
    target = x.mean(1, keepdim=True).expand(-1, 8, -1)  # every position: the mean token
    out, _ = mha(x, x, x, need_weights=False)
    loss = torch.nn.functional.mse_loss(out, target)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(mha.parameters(), 1.0)
    opt.step()
    if step % 50 == 0: print(f"step {step}  loss {loss.item():.2e}")
